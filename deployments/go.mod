module github.com/switchboard-gw/switchboard/deployments

go 1.26.8

require github.com/switchboard-gw/switchboard/shared v0.0.0

require (
	github.com/mdp/qrterminal/v3 v3.2.1 // indirect
	github.com/switchboard-gw/switchboard/api v0.0.0
	github.com/switchboard-gw/switchboard/scheduler v0.0.0
	github.com/switchboard-gw/switchboard/worker v0.0.0
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/term v0.13.0 // indirect
	rsc.io/qr v0.2.0 // indirect
)

replace github.com/switchboard-gw/switchboard/shared => ../shared

replace github.com/switchboard-gw/switchboard/api => ../api

replace github.com/switchboard-gw/switchboard/worker => ../worker

replace github.com/switchboard-gw/switchboard/scheduler => ../scheduler
