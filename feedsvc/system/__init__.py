"""Operating-system plumbing: memory in worker processes, reading ahead, durable writes, the run lock. Each trick
says in its docstring what it saves."""
