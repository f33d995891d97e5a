using Wuerstchen.Kernels.Bf16;
using Wuerstchen.Kernels.Jit;

namespace Wuerstchen.Tests.Kernels.Bf16;

public class CpuFeaturesTests
{
    /// <summary>CPUID detection agrees with the kernel's view of the CPU (Linux lists avx512_bf16 in /proc/cpuinfo).</summary>
    [Fact]
    public void Avx512Bf16DetectionMatchesProcCpuinfo()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo")) return; // nothing to compare with elsewhere
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        if (flags is null) return;
        bool listed = flags.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("avx512_bf16");
        Assert.Equal(listed, CpuFeatures.Avx512Bf16);
    }

    /// <summary>Where the CPU has AVX512_BF16 on Linux x86-64, the kernel is generated and mapped (no silent fallback).</summary>
    [Fact]
    public void JitKernelIsGeneratedWhereTheCpuHasAvx512Bf16()
    {
        bool expected = CpuFeatures.Avx512Bf16 && ExecutableMemory.IsSupported;
        Assert.True(expected == Bf16Gemm.IsHardwareAccelerated, Bf16JitKernel.UnavailableReason ?? "generated although unsupported");
    }
}
