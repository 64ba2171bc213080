module github.com/tessera-licensing/tessera/examples/guard/enforcer-go

go 1.21

require github.com/tessera-licensing/tessera/sdks/go v0.0.0

replace github.com/tessera-licensing/tessera/sdks/go => ../../../sdks/go
