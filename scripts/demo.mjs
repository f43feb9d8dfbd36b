// Placeholder: the demo is not written yet.
console.log('demo: not yet');
