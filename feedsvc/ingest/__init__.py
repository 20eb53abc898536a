"""Ingest: the seeds directory scanned, each seed read, parsed into entries and cleaned (the per-seed work and
the processor that runs it in parallel)."""
