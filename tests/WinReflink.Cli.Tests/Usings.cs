global using NUnit.Framework;

// Each test spends most of its time waiting on winreflink processes (startup, fsync), so tests run
// side by side; every test has its own instance and temp folder.
[assembly: Parallelizable(ParallelScope.All)]
[assembly: FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
[assembly: LevelOfParallelism(4)]
