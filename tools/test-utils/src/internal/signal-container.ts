/** Sends a signal to a running container through the engine testcontainers found. */
export async function signalContainer(containerId: string, signal: NodeJS.Signals): Promise<void> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  await client.container.getById(containerId).kill({ signal });
}
