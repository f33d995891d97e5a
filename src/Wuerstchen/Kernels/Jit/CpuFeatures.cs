using System.Runtime.Intrinsics.X86;

namespace Wuerstchen.Kernels.Jit;

/// <summary>Instruction-set extensions that .NET exposes no <c>IsSupported</c> flag for, read from CPUID.</summary>
internal static class CpuFeatures
{
    /// <summary>
    /// AVX512_BF16 (<c>vdpbf16ps</c>, <c>vcvtne2ps2bf16</c>): CPUID leaf 7, sub-leaf 1, EAX bit 5. It is only
    /// usable when the OS saves the zmm state, which <see cref="Avx512F.IsSupported"/> already checks
    /// (the runtime tests XCR0 before reporting AVX-512).
    /// </summary>
    public static bool Avx512Bf16 { get; } = DetectAvx512Bf16();

    private static bool DetectAvx512Bf16()
    {
        if (!X86Base.IsSupported || !Avx512F.IsSupported || !Avx512BW.IsSupported) return false;
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        if (maxLeaf < 7) return false;
        var (maxSubLeaf, _, _, _) = X86Base.CpuId(7, 0);
        if (maxSubLeaf < 1) return false;
        var (eax, _, _, _) = X86Base.CpuId(7, 1);
        return (eax & (1 << 5)) != 0;
    }
}
