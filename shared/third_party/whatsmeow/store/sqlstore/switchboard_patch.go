package sqlstore

import "go.mau.fi/whatsmeow/store"

// InitializeDevice wires a device the caller scanned itself (ID set) to
// this container's stores, as GetDevice does with the rows it scans.
//
// Switchboard patch: Switchboard loads many devices in one query, with
// their public keys kept beside the sealed private ones, instead of a
// GetDevice per device (a query and three curve multiplications each).
func (c *Container) InitializeDevice(device *store.Device) {
	device.Log = c.log
	c.initializeDevice(device)
}
