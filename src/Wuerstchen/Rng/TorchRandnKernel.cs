namespace Wuerstchen.Rng;

/// <summary>
/// Which of PyTorch's CPU kernels <c>torch.randn</c> (float32, ≥ 16 contiguous elements) is reproduced.
/// The two agree to a few float32 ulp (≤ ~2e-6) but not bit for bit; the choice is made by the CPU PyTorch runs on.
/// </summary>
public enum TorchRandnKernel
{
    /// <summary>The AVX2 kernel, what PyTorch runs on x86-64 CPUs (and with AVX-512, which uses the same kernel):
    /// float32 Cephes polynomials for log/sin/cos. The default; recorded diffusers noise comes from it.</summary>
    Avx2,

    /// <summary>The portable kernel (<c>ATEN_CPU_CAPABILITY=default</c>, non-x86 builds): the C library's
    /// <c>logf/sqrtf/cosf/sinf</c>. Bit-exact only where .NET's <see cref="MathF"/> forwards to the same libm as
    /// PyTorch did (glibc on Linux).</summary>
    Scalar,
}
