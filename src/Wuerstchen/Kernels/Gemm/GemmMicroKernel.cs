namespace Wuerstchen.Kernels;

/// <summary>
/// A register-tiled GEMM micro-kernel: C[rows × NR] = epilogue(Ã·B̃) for one MR-row micro-panel Ã (packed
/// [kc][MR]) and one NR-column micro-panel B̃ (packed [kc][NR]). Implementations are structs so that
/// <see cref="GemmDriver{TKernel}"/> is compiled once per kernel with every call inlined or direct.
/// </summary>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>Rows of the register tile (broadcast A values).</summary>
    static abstract int MR { get; }
    /// <summary>Columns of the register tile (vector lanes × vectors per row).</summary>
    static abstract int NR { get; }
    static abstract bool IsSupported { get; }
    /// <summary>Cache blocking: depth of a packed panel (KC), columns of the L3-resident B block (NC; NCSingleBlock
    /// when all rows fit one A block, so B is packed and consumed at once), rows of the L2-resident A block (MC).</summary>
    static abstract int KC { get; }
    static abstract int NC { get; }
    static abstract int NCSingleBlock { get; }
    static abstract int MC { get; }

    /// <summary>Writes a full-width tile of <paramref name="rows"/> ≤ MR rows at c (row stride ldc).</summary>
    static abstract void Run(int rows, int kc, float* a, float* b, float* c, long ldc, GemmEpilogue epilogue);
}

/// <summary>How a finished tile lands in C: C ← Alpha·acc + Beta·C + Bias[column]; C is not read when Beta is 0.</summary>
internal readonly unsafe struct GemmEpilogue(float alpha, float beta, float* bias)
{
    public float Alpha { get; } = alpha;
    public float Beta { get; } = beta;
    public float* Bias { get; init; } = bias;
}

/// <summary>A row count known to the JIT at compile time (see the micro-kernels' Tile methods).</summary>
internal interface IGemmRows
{
    static abstract int Count { get; }
}

internal readonly struct GemmRows1 : IGemmRows { public static int Count => 1; }
internal readonly struct GemmRows2 : IGemmRows { public static int Count => 2; }
internal readonly struct GemmRows3 : IGemmRows { public static int Count => 3; }
internal readonly struct GemmRows4 : IGemmRows { public static int Count => 4; }
internal readonly struct GemmRows5 : IGemmRows { public static int Count => 5; }
internal readonly struct GemmRows6 : IGemmRows { public static int Count => 6; }
internal readonly struct GemmRows7 : IGemmRows { public static int Count => 7; }
internal readonly struct GemmRows8 : IGemmRows { public static int Count => 8; }
internal readonly struct GemmRows9 : IGemmRows { public static int Count => 9; }
internal readonly struct GemmRows10 : IGemmRows { public static int Count => 10; }
internal readonly struct GemmRows11 : IGemmRows { public static int Count => 11; }
internal readonly struct GemmRows12 : IGemmRows { public static int Count => 12; }
