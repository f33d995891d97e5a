// Kernel benchmarks (BenchmarkDotNet). See docs/BENCHMARKS.md.
Console.WriteLine("Benchmarks are being built.");
