package main

import "os"

// childEnv is this process's environment plus env; later entries win, so a
// SWITCHBOARD_ variable set by the caller (a reconnect rate, say) reaches
// the gateway unless the run sets it itself.
func childEnv(env []string) []string { return append(os.Environ(), env...) }
