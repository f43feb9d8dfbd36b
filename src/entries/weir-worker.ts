// Placeholder for the `weir/worker` export: the worker runtime arrives with the worker issue.
export {};
