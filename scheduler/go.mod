module github.com/switchboard-gw/switchboard/scheduler

go 1.26.8

require github.com/switchboard-gw/switchboard/shared v0.0.0

require (
	github.com/nyaruka/phonenumbers v1.8.1 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/switchboard-gw/switchboard/shared => ../shared
