module tailor/aarch64go

go 1.19
