// Placeholder: the benchmark suite is not written yet.
console.log('bench: not yet');
