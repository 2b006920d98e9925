"""Python helpers shared by edgelb's tests, benchmarks (perf/) and the quickstart (deploy/): processes
started and killed by PID, a real ZooKeeper server, edgelb-apiserver start-up, network
namespaces, the integration appliance rig, and running the dataplane against the generator.

Importers put the repository's tests/ folder on sys.path once and import `support.<module>`;
no test script imports another test script."""
