"""The `jiaodong` command line: one module per command group, assembled in `jiaodong.cli.main`."""
