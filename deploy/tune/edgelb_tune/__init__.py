"""edgelb-tune: checks, plans and applies what an edgelb host must be before DPDK starts.

Modules: profile (firmware-cfg YAML -> Profile, strict), host (reads procfs/sysfs and tool output
under a root), checks (Profile + Host -> check rows), plan (-> steps), apply (runs the runtime-safe
steps), table (text/JSON output), hugepages (the quick reservation for tests and the quickstart),
cli (the command line).
"""
