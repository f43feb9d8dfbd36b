/** Deletes an IndexedDB database; a connection left open (blocked) fails the test instead of hanging it. */
export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error(`deleting ${name} was blocked by an open connection`));
  });
}
