namespace Wuerstchen.Kernels.Bf16;

/// <summary>
/// A bf16 register-tile kernel: for one MR-row A micro-panel and one 32-column B micro-panel (both packed in
/// depth pairs by <see cref="Bf16Packing"/>), C[r, 0..32) = init[r, 0..32) + Σ_p dot(A pair, B pair) for rows
/// r &lt; rows, accumulated in float32. <c>init</c> is C itself (a later pass over K), a bias row with
/// initLd = 0, or zeros; C and init are float32 with row strides in elements.
/// </summary>
internal unsafe interface IBf16MicroKernel
{
    static abstract void Run(int rows, int pairs, uint* a, uint* b, float* c, long ldc, float* init, long initLd);
}

/// <summary>Which bf16 kernel a GEMM runs: the best available, or one forced (tests compare the two).</summary>
public enum Bf16KernelChoice
{
    /// <summary>The run-time generated AVX512_BF16 kernel where the CPU has it, else the managed one.</summary>
    Auto,
    /// <summary>The run-time generated <c>vdpbf16ps</c> kernel; throws where AVX512_BF16 is missing.</summary>
    Jit,
    /// <summary>The portable managed kernel (same packing, same pairwise float32 accumulation).</summary>
    Managed,
}
