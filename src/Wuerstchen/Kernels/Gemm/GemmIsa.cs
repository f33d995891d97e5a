namespace Wuerstchen.Kernels;

/// <summary>The instruction sets the GEMM has micro-kernels for, best last.</summary>
internal enum GemmIsa { Portable, Avx2, Avx512 }

/// <summary>Test and benchmark overrides for one GEMM call; the defaults pick the best ISA and a thread grid.</summary>
internal readonly record struct GemmOptions(GemmIsa? Isa = null, GemmGrid? Grid = null);

internal static class GemmIsaInfo
{
    /// <summary>The best kernel this machine runs, chosen once at start-up.</summary>
    public static GemmIsa Best { get; } =
        GemmKernelAvx512.IsSupported ? GemmIsa.Avx512 :
        GemmKernelAvx2.IsSupported ? GemmIsa.Avx2 : GemmIsa.Portable;

    public static bool IsSupported(GemmIsa isa) => isa switch
    {
        GemmIsa.Avx512 => GemmKernelAvx512.IsSupported,
        GemmIsa.Avx2 => GemmKernelAvx2.IsSupported,
        _ => GemmKernelPortable.IsSupported,
    };

    public static int MR(GemmIsa isa) => isa switch
    {
        GemmIsa.Avx512 => GemmKernelAvx512.MR,
        GemmIsa.Avx2 => GemmKernelAvx2.MR,
        _ => GemmKernelPortable.MR,
    };

    public static int NR(GemmIsa isa) => isa switch
    {
        GemmIsa.Avx512 => GemmKernelAvx512.NR,
        GemmIsa.Avx2 => GemmKernelAvx2.NR,
        _ => GemmKernelPortable.NR,
    };
}
