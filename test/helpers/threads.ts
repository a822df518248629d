// Starts test/helpers/threadTasks in worker threads and collects what they post.
import { Worker } from 'node:worker_threads';
import type { ThreadTask } from './threadTasks.js';

const TASKS_URL = new URL('./threadTasks.js', import.meta.url);

/** One worker running `task`; resolves with its messages once it exits, rejects on an error or a non-zero exit. */
export function startTask(task: ThreadTask): { worker: Worker; done: Promise<unknown[]> } {
  const worker = new Worker(TASKS_URL, { workerData: task });
  const messages: unknown[] = [];
  worker.on('message', (m) => messages.push(m));
  const done = new Promise<unknown[]>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve(messages) : reject(new Error(`worker exited with ${code}`))));
  });
  return { worker, done };
}

/** Resolves with the first message the worker posts. */
export function firstMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve) => worker.once('message', resolve));
}
