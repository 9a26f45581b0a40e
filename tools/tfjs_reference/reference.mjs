// Runs a TensorFlow.js graph model on its own CPU backend and writes the raw outputs.
// Usage: node reference.mjs JOB.json   where JOB = {model, inputs: [{file, shape}], outputs: [names], out_dir}
// Each output of input i is written to OUT_DIR/<i>-<k>.f32 (float32, little-endian); shapes go to stdout as JSON.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';

const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
await tf.setBackend('cpu');
const artifacts = JSON.parse(fs.readFileSync(job.model, 'utf8'));
const weightData = job.weights.map((file) => {
  const bytes = fs.readFileSync(path.join(path.dirname(job.model), file));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
});
const model = await loadGraphModel(tf.io.fromMemory({
  modelTopology: artifacts.modelTopology,
  weightSpecs: artifacts.weightsManifest.flatMap((group) => group.weights),
  weightData: weightData.length === 1 ? weightData[0] : weightData,
  signature: artifacts.signature,
}));
const shapes = [];
for (const [index, input] of job.inputs.entries()) {
  const bytes = fs.readFileSync(input.file);
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const outputs = model.execute(tf.tensor(values, input.shape), job.outputs);
  const list = Array.isArray(outputs) ? outputs : [outputs];
  shapes.push(list.map((tensor) => tensor.shape));
  list.forEach((tensor, k) => {
    fs.writeFileSync(path.join(job.out_dir, `${index}-${k}.f32`), Buffer.from(tensor.dataSync().buffer));
  });
}
console.log(JSON.stringify({ backend: tf.getBackend(), version: tf.version_core, shapes }));
