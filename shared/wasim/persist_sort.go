package wasim

import (
	"cmp"
	"slices"
)

// sortState orders accounts by phone and devices by index.
func sortState(st *savedState) {
	slices.SortFunc(st.Accounts, func(a, b savedAccount) int { return cmp.Compare(a.Phone, b.Phone) })
	for i := range st.Accounts {
		slices.SortFunc(st.Accounts[i].Devices, func(a, b savedDevice) int { return cmp.Compare(a.Index, b.Index) })
	}
}
