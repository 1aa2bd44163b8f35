import assert from "node:assert/strict";
import { join } from "node:path";
import { ChecksumError, FetchError } from "../lib/core/errors.ts";
import {
  fetchMnist,
  MNIST_FILE_NAMES,
  MNIST_SHA256,
} from "../lib/data/fetch.ts";
import { sha256File } from "../lib/core/hash.ts";
import {
  listDir,
  MNIST_DIR,
  NEEDS_PERMISSIONS,
  runScript,
  TASK_PERMISSIONS,
  withTempDir,
} from "./helpers.ts";

const needsMnist = MNIST_DIR === undefined;

Deno.test({
  name:
    "fetch from a local folder verifies and writes all four files; a second fetch is a no-op",
  ignore: needsMnist,
  async fn() {
    await withTempDir(async (dataDir) => {
      const first = await fetchMnist({ dataDir, source: MNIST_DIR });
      assert.deepEqual(first.map((r) => r.status), [
        "fetched",
        "fetched",
        "fetched",
        "fetched",
      ]);
      const outDir = join(dataDir, "mnist");
      assert.deepEqual(await listDir(outDir), [...MNIST_FILE_NAMES].sort());
      for (const file of MNIST_FILE_NAMES) {
        assert.equal(await sha256File(join(outDir, file)), MNIST_SHA256[file]);
      }
      const mtimes = await Promise.all(
        MNIST_FILE_NAMES.map(async (f) =>
          (await Deno.stat(join(outDir, f))).mtime?.getTime()
        ),
      );
      // The second run must not even read the source: point it nowhere.
      const second = await fetchMnist({
        dataDir,
        source: join(dataDir, "no-such-folder"),
      });
      assert.deepEqual(second.map((r) => r.status), [
        "up to date",
        "up to date",
        "up to date",
        "up to date",
      ]);
      const after = await Promise.all(
        MNIST_FILE_NAMES.map(async (f) =>
          (await Deno.stat(join(outDir, f))).mtime?.getTime()
        ),
      );
      assert.deepEqual(after, mtimes);
    });
  },
});

Deno.test({
  name:
    "fetch from a copy with one flipped byte fails with the hash message and writes nothing",
  ignore: needsMnist,
  async fn() {
    await withTempDir(async (tmp) => {
      const source = join(tmp, "source");
      await Deno.mkdir(source);
      for (const file of MNIST_FILE_NAMES) {
        await Deno.copyFile(join(MNIST_DIR!, file), join(source, file));
      }
      const victim = join(source, MNIST_FILE_NAMES[1]);
      const bytes = await Deno.readFile(victim);
      bytes[100] ^= 0x01;
      await Deno.writeFile(victim, bytes);
      const dataDir = join(tmp, "data");
      await assert.rejects(
        fetchMnist({ dataDir, source }),
        (error: unknown) => {
          assert.ok(error instanceof ChecksumError, String(error));
          assert.ok(error.message.includes(MNIST_FILE_NAMES[1]));
          assert.ok(error.message.includes(MNIST_SHA256[MNIST_FILE_NAMES[1]]));
          assert.ok(!error.message.includes("\n"));
          return true;
        },
      );
      assert.deepEqual(await listDir(join(dataDir, "mnist")), []);
    });
  },
});

Deno.test({
  name: "fetch replaces a present but corrupt file instead of trusting it",
  ignore: needsMnist,
  async fn() {
    await withTempDir(async (dataDir) => {
      const outDir = join(dataDir, "mnist");
      await Deno.mkdir(outDir, { recursive: true });
      await Deno.writeTextFile(join(outDir, MNIST_FILE_NAMES[0]), "not mnist");
      const results = await fetchMnist({ dataDir, source: MNIST_DIR });
      assert.equal(results[0].status, "fetched");
      assert.equal(
        await sha256File(join(outDir, MNIST_FILE_NAMES[0])),
        MNIST_SHA256[MNIST_FILE_NAMES[0]],
      );
    });
  },
});

/** Serve `dir` on loopback; `failing` prefixes answer 503. */
function serveFolder(dir: string) {
  let requests = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      requests++;
      const path = new URL(request.url).pathname;
      if (path.startsWith("/broken/")) {
        return new Response("unavailable", {
          status: 503,
        });
      }
      try {
        return new Response(
          await Deno.readFile(join(dir, path.replace(/^\/good\//, ""))),
        );
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { server, base, requests: () => requests };
}

Deno.test({
  name: "fetch retries a failing mirror, then falls back to the next one",
  ignore: needsMnist,
  async fn() {
    const { server, base, requests } = serveFolder(MNIST_DIR!);
    try {
      await withTempDir(async (dataDir) => {
        const results = await fetchMnist({
          dataDir,
          mirrors: [`${base}/broken/`, `${base}/good/`],
          attempts: 2,
          backoffMs: 1,
        });
        assert.deepEqual(
          results.map((r) => r.from),
          MNIST_FILE_NAMES.map((f) => `${base}/good/${f}`),
        );
        // Each file: two failed attempts on the broken mirror, one success.
        assert.equal(requests(), 4 * 3);
      });
    } finally {
      await server.shutdown();
    }
  },
});

Deno.test(
  "fetch with every mirror failing raises one error that explains --source",
  NEEDS_PERMISSIONS,
  async () => {
    const { server, base } = serveFolder("/nonexistent");
    try {
      await withTempDir(async (dataDir) => {
        await assert.rejects(
          fetchMnist({
            dataDir,
            mirrors: [`${base}/broken/`, `${base}/good/`],
            attempts: 2,
            backoffMs: 1,
          }),
          (error: unknown) => {
            assert.ok(error instanceof FetchError);
            assert.match(error.message, /--source DIR/);
            assert.match(error.message, /HTTP 404/);
            return true;
          },
        );
        assert.deepEqual(await listDir(join(dataDir, "mnist")), []);
      });
    } finally {
      await server.shutdown();
    }
  },
);

Deno.test(
  "the fetch script exits 1 with one line for a bad source and 2 for a bad flag",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dataDir) => {
      const run = (...args: string[]) =>
        runScript("fetch", ["--data-dir", dataDir, ...args], [
          ...TASK_PERMISSIONS,
          "--allow-net",
        ]);
      const bad = await run("--source", join(dataDir, "missing"));
      assert.equal(bad.code, 1);
      const lines = bad.stderr.trim().split("\n");
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], /^error: .*missing.*not found/);
      assert.deepEqual(await listDir(join(dataDir, "mnist")), []);
      const usage = await run("--no-such-flag");
      assert.equal(usage.code, 2);
      const help = await run("--help");
      assert.equal(help.code, 0);
      assert.match(help.stdout, /--source DIR\|URL/);
    });
  },
);
