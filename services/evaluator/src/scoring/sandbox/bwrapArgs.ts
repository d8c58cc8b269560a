// The bubblewrap command line: new user, pid, network, mount, ipc, uts and cgroup namespaces; a root of
// read-only /usr (+ the /bin, /lib* links, an interpreter prefix outside /usr), a minimal /dev, the program
// directory read-only at /src and a size-limited tmpfs at /work; an emptied environment. No /proc at all:
// mounting a fresh one for the new pid namespace is refused where the container's /proc has masked paths
// (every Kubernetes pod Pod Security baseline or restricted admits), and neither interpreter needs one.

import { existsSync, lstatSync, realpathSync } from "node:fs";

/** The program's uid inside its user namespace. */
export const INNER_UID = 1000;

/** The bubblewrap arguments around `inner` (argv inside the sandbox). */
export function bwrapArgs(srcDir: string, scratchBytes: number, extraRoots: string[], inner: string[]): string[] {
  const args = [
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    // The program is pid 1 of its namespace: when it ends, the kernel kills everything it left behind. Without
    // this, bwrap's own init process is left as a zombie of the host's pid 1 after every run, and zombies
    // count against RLIMIT_NPROC of the slot's uid until reaped (never, where the evaluator itself is pid 1).
    "--as-pid-1",
    "--die-with-parent",
    "--new-session",
    "--uid",
    String(INNER_UID),
    "--gid",
    String(INNER_UID),
    "--hostname",
    "sandbox",
    "--ro-bind",
    "/usr",
    "/usr",
  ];
  // Merged-/usr systems link /bin, /lib, /lib64 and /sbin into /usr; others have real directories.
  for (const top of ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"]) {
    if (!existsSync(top)) continue;
    const st = lstatSync(top);
    if (st.isSymbolicLink()) args.push("--symlink", realpathSync(top), top);
    else if (st.isDirectory()) args.push("--ro-bind", top, top);
  }
  for (const root of extraRoots) args.push("--ro-bind", root, root);
  args.push(
    "--dev",
    "/dev",
    "--size",
    String(scratchBytes),
    "--tmpfs",
    "/work",
    "--ro-bind",
    srcDir,
    "/src",
    "--chdir",
    "/work",
    "--clearenv",
    "--setenv",
    "PATH",
    "/usr/bin:/bin",
    "--setenv",
    "HOME",
    "/work",
    "--setenv",
    "TMPDIR",
    "/work",
    "--setenv",
    "LANG",
    "C.UTF-8",
    "--setenv",
    "PYTHONIOENCODING",
    "utf-8",
    "--",
    ...inner,
  );
  return args;
}

/** prlimit's arguments for these limits. */
export function prlimitArgs(o: {
  memoryBytes: number;
  maxProcesses: number;
  maxFileBytes: number;
  maxOpenFiles: number;
  timeoutMs: number;
}): string[] {
  return [
    `--as=${o.memoryBytes}`,
    `--nproc=${o.maxProcesses}`,
    `--fsize=${o.maxFileBytes}`,
    `--nofile=${o.maxOpenFiles}`,
    `--cpu=${Math.ceil(o.timeoutMs / 1000) + 1}`,
    "--core=0",
  ];
}
