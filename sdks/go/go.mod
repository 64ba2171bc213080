module github.com/tessera-licensing/tessera/sdks/go

go 1.21
