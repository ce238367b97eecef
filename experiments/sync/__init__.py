"""Syncing MLflow into AI Hub: `client` reads a server, `importer` writes pages,
`cycles` holds the fast loop and the full reconcile, `watermark` the lease and watermark,
`runner` runs one requested sync end to end."""
