// Kernel benchmarks; see docs/BENCHMARKS.md.
//   dotnet run -c Release --project bench/Wuerstchen.Benchmarks -- gemm [--threads 1,2] [--only text | --shape MxNxK[t][p]] [--isa avx512|avx2|portable] [--rounds 20] [--min-ms 0]
//   dotnet run -c Release --project bench/Wuerstchen.Benchmarks -- gemm-bf16 [--threads 1,2] [--rounds 10] [--kernel jit|managed]
//   dotnet run -c Release --project bench/Wuerstchen.Benchmarks -- threads
//   dotnet run -c Release --project bench/Wuerstchen.Benchmarks -- kernels [--threads N] [--rounds n]
//   dotnet run -c Release --project bench/Wuerstchen.Benchmarks -- stage prior|decoder [--threads N] [--reps n] [--size 1024]
//   dotnet run -c Release --project bench/Wuerstchen.Benchmarks -- bdn [BenchmarkDotNet arguments, e.g. --filter *Gemm*]
using BenchmarkDotNet.Running;
using Wuerstchen.Benchmarks;

switch (args.FirstOrDefault())
{
    case "gemm":
        QuickGemm.Run(args[1..]);
        return 0;
    case "gemm-bf16":
        QuickBf16Gemm.Run(args[1..]);
        return 0;
    case "threads":
        QuickThreads.Run(args[1..]);
        return 0;
    case "kernels":
        QuickKernels.Run(args[1..]);
        return 0;
    case "stage":
        QuickStage.Run(args[1..]);
        return 0;
    case "bdn":
        BenchmarkSwitcher.FromAssembly(typeof(QuickGemm).Assembly).Run(args[1..]);
        return 0;
    default:
        Console.Error.WriteLine("usage: Wuerstchen.Benchmarks gemm [--threads 1,2] [--only <text> | --shape MxNxK[t][p]] [--isa avx512|avx2|portable] [--rounds n] [--min-ms n]");
        Console.Error.WriteLine("       Wuerstchen.Benchmarks gemm-bf16 [--threads 1,2] [--rounds n] [--kernel jit|managed]");
        Console.Error.WriteLine("       Wuerstchen.Benchmarks threads");
        Console.Error.WriteLine("       Wuerstchen.Benchmarks kernels [--threads N] [--rounds n]");
        Console.Error.WriteLine("       Wuerstchen.Benchmarks stage prior|decoder [--threads N] [--reps n] [--size 1024]");
        Console.Error.WriteLine("       Wuerstchen.Benchmarks bdn [BenchmarkDotNet arguments]");
        return 2;
}
