module github.com/switchboard-gw/switchboard/scheduler

go 1.26.8

require github.com/switchboard-gw/switchboard/shared v0.0.0

replace github.com/switchboard-gw/switchboard/shared => ../shared
