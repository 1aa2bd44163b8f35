/**
 * serve: what the app serves (and refuses), its export, the script, and
 * the page itself in headless Chromium against Deno's own predictions.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../lib/core/errors.ts";
import { formatCheck } from "../lib/report/mod.ts";
import {
  buildSite,
  checkRequestPath,
  checkServeInBrowser,
  exportSite,
  PROBABILITY_TOLERANCE,
  serveSite,
} from "../lib/serve/mod.ts";
import { trainQuickModels, writeUntrainedModels } from "./fixtures_predict.ts";
import {
  MNIST_DIR,
  NEEDS_PERMISSIONS,
  PERMITTED,
  TASK_PERMISSIONS,
  withTempDir,
} from "./helpers.ts";

const HAS_CHROMIUM = (() => {
  try {
    return Deno.statSync("/usr/bin/chromium").isFile;
  } catch {
    return false;
  }
})();

/** Where the browser check leaves its screenshot (kept after the test). */
const SCREENSHOT = join(
  (PERMITTED ? Deno.env.get("TMPDIR") : undefined) ?? "/tmp",
  "noisy-mnist-serve-screenshot.png",
);

/** Send `target` exactly as written (fetch would resolve `..` first). */
async function rawGet(port: number, target: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(
      `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
    ),
  );
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  for (let n; (n = await conn.read(buffer)) !== null;) {
    chunks.push(buffer.slice(0, n));
  }
  conn.close();
  const text = new TextDecoder().decode(
    Uint8Array.from(chunks.flatMap((c) => [...c])),
  );
  return text.split("\r\n")[0];
}

const TRAVERSALS = [
  "/../deno.json",
  "/models/../../deno.json",
  "/%2e%2e/%2e%2e/etc/passwd",
  "/.%2E/deno.json",
  "/models/..%2f..%2fdeno.json",
  "/models/%252e%252e/deno.json",
  "/models\\..\\deno.json",
  "/./index.html",
  "/%00",
];

Deno.test("serve: request paths are checked as sent; traversal is refused", () => {
  for (const target of TRAVERSALS) {
    const checked = checkRequestPath(`http://localhost${target}`);
    assert.equal(checked.ok, false, target);
  }
  assert.deepEqual(checkRequestPath("http://localhost/models/cnn/model.json"), {
    ok: true,
    path: "/models/cnn/model.json",
  });
  assert.deepEqual(checkRequestPath("http://localhost/?x=/../y#z"), {
    ok: true,
    path: "/",
  });
  assert.equal(checkRequestPath("http://localhost/%zz").ok, false);
});

Deno.test(
  "serve: serves the page, tfjs and checked model files only, read-only; exports them",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const dataDir = join(dir, "data");
      await writeUntrainedModels(dataDir, ["dense", "cnn"]);
      const site = await buildSite({ dataDir });
      assert.deepEqual([...site.assets.keys()].sort(), [
        "/app.js",
        "/index.html",
        "/models/cnn/model.json",
        "/models/cnn/weights.bin",
        "/models/dense/model.json",
        "/models/dense/weights.bin",
        "/noisy/test-images-idx3-ubyte.gz",
        "/noisy/test-labels-idx1-ubyte.gz",
        "/preprocess.js",
        "/style.css",
        "/tf-backend-wasm.min.js",
        "/tf-globals.js",
        "/tf.min.js",
        "/tfjs-backend-wasm-simd.wasm",
        "/tfjs-backend-wasm.wasm",
      ]);
      const preprocess = new TextDecoder().decode(
        site.assets.get("/preprocess.js")!.body,
      );
      assert.match(preprocess, /export \{[^}]*preprocessDetailed/);
      assert.doesNotMatch(preprocess, /^import /m);

      const server = serveSite(site, { port: 0 });
      try {
        const base = `http://127.0.0.1:${server.port}`;
        assert.match(server.url, /^http:\/\/localhost:\d+\/$/);
        const page = await fetch(`${base}/`);
        assert.equal(page.status, 200);
        assert.match(
          page.headers.get("content-security-policy")!,
          /script-src 'self'/,
        );
        const html = await page.text();
        assert.match(html, /data-model="dense"/);
        assert.match(html, /data-model="cnn"/);
        const weights = await fetch(`${base}/models/cnn/weights.bin`);
        assert.deepEqual(
          new Uint8Array(await weights.arrayBuffer()),
          await Deno.readFile(join(dataDir, "models", "cnn", "weights.bin")),
        );
        const tfjs = await fetch(`${base}/tf.min.js`, { method: "HEAD" });
        assert.equal(tfjs.status, 200);
        assert.equal(await tfjs.text(), "");
        assert.ok(Number(tfjs.headers.get("content-length")) > 1_000_000);
        const post = await fetch(`${base}/`, { method: "POST", body: "x" });
        assert.equal(post.status, 405);
        await post.body?.cancel();
        for (const path of ["/models/cnn/manifest.json", "/deno.json", "/x"]) {
          const response = await fetch(`${base}${path}`);
          assert.equal(response.status, 404, path);
          await response.body?.cancel();
        }
        for (const target of TRAVERSALS) {
          assert.equal(
            await rawGet(server.port, target),
            "HTTP/1.1 400 Bad Request",
            target,
          );
        }
      } finally {
        await server.shutdown();
      }

      const exported = join(dir, "site");
      const files = await exportSite(site, exported);
      assert.equal(files.length, site.assets.size);
      for (const [path, asset] of site.assets) {
        assert.deepEqual(await Deno.readFile(join(exported, path)), asset.body);
      }

      // A model file changed after training is refused, naming it.
      const modelJson = join(dataDir, "models", "dense", "model.json");
      await Deno.writeTextFile(modelJson, " ", { append: true });
      await assert.rejects(() => buildSite({ dataDir }), (error: Error) => {
        assert.ok(error instanceof DataError);
        assert.match(
          error.message,
          /model\.json does not match .*manifest\.json.*deno task train:dense --force/,
        );
        return true;
      });
    });
  },
);

Deno.test(
  "serve script: prints the URL and serves; --export writes the files",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const dataDir = join(dir, "data");
      await writeUntrainedModels(dataDir, ["dense"]);
      const permissions = [...TASK_PERMISSIONS, "--allow-net", "--allow-run"];
      const exported = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...permissions,
          "scripts/serve.ts",
          "--data-dir",
          dataDir,
          "--export",
          join(dir, "out"),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(exported.stderr);
      assert.equal(exported.code, 0, stderr);
      assert.match(stderr, /^serve: wrote 13 files \(dense\) to /);
      assert.ok((await Deno.stat(join(dir, "out", "index.html"))).isFile);

      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...permissions,
          "scripts/serve.ts",
          "--data-dir",
          dataDir,
          "--port",
          "0",
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      try {
        const reader = child.stderr.pipeThrough(new TextDecoderStream())
          .getReader();
        let text = "";
        while (!/localhost:\d+\//.test(text)) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
        }
        reader.releaseLock();
        const port = text.match(/localhost:(\d+)\//)?.[1];
        assert.ok(port, text);
        const page = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<canvas id="pad"/);
      } finally {
        child.kill("SIGTERM");
        await child.status;
        await child.stderr.cancel().catch(() => {});
      }
    });
  },
);

Deno.test({
  name:
    "serve: in headless Chromium, drawn digits and 100 noisy test digits get Deno's probabilities",
  ignore: !HAS_CHROMIUM || MNIST_DIR === undefined,
  async fn() {
    await withTempDir(async (dir) => {
      await trainQuickModels(dir, MNIST_DIR!, {
        models: ["dense", "cnn"],
        limit: 5_000,
        cnnLimit: 1_500,
      });
      const report = await checkServeInBrowser({
        dataDir: dir,
        screenshotPath: SCREENSHOT,
      });
      const failed = report.results.filter((r) => !r.ok).map(formatCheck);
      console.log(
        `browser vs Deno: max |difference| ${
          report.maxDifference.toExponential(2)
        }; drawn ${JSON.stringify(report.drawn)}; screenshot ${SCREENSHOT}`,
      );
      assert.deepEqual(failed, []);
      assert.ok(report.results.length >= 15);
      assert.ok(report.maxDifference <= PROBABILITY_TOLERANCE);
    });
  },
});
