namespace Wuerstchen.Kernels.Bf16;

/// <summary>
/// The bf16 GEMM's loop nest for one rectangle of C, the fp32 <see cref="GemmDriver{TKernel}"/>'s five loops
/// with depth counted in pairs: B block KC×NC (packed once per block, or read from prepacked panels), A block
/// MC×KC (rounded and packed), MR×32 register tiles. A bf16 element is half a float, so at the same cache
/// footprint as the fp32 kernel's blocks the depth block is twice as deep: a 1536-deep B micro-panel is 96 KB
/// and the 192×1536 A block 576 KB, both L2-resident on Zen 4, and K ≤ 1536 (every model shape) is one pass.
/// </summary>
internal static unsafe class Bf16Driver<TKernel> where TKernel : struct, IBf16MicroKernel
{
    private const int MR = Bf16Packing.MR, NR = Bf16Packing.NR;
    private const int KC = 1536, MC = 192, NC = 4096, NCSingleBlock = 512;

    /// <summary>32 zero floats: the initial tile of the first pass over K when there is no bias (initLd 0).</summary>
    private static readonly float* Zeros = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(NR * sizeof(float), 64);

    static Bf16Driver() => new Span<float>(Zeros, NR).Clear();

    public static void Run(in Bf16Problem p, int rowStart, int rowEnd, int colStart, int colEnd)
    {
        int rows = rowEnd - rowStart, cols = colEnd - colStart;
        if (rows <= 0 || cols <= 0) return;
        if (p.K == 0)
        {
            BiasOnly(p, rowStart, rowEnd, colStart, colEnd);
            return;
        }

        // Even block depths (pairs never straddle blocks); even splits as in the fp32 driver.
        int kcMax = RoundUp(CeilDiv(p.K, CeilDiv(p.K, KC)), 2);
        int mcMax = RoundUp(CeilDiv(rows, CeilDiv(rows, MC)), MR);
        int ncMax = Math.Min(RoundUp(rows <= mcMax ? Math.Min(NC, NCSingleBlock) : NC, NR), RoundUp(cols, NR));
        bool packAllA = rows <= mcMax;
        long aBlock = (long)mcMax * Bf16Packing.Pairs(kcMax);
        int kBlocks = CeilDiv(p.K, kcMax);

        var ws = Bf16Workspace.Current;
        uint* packedA = ws.PackedA(packAllA ? aBlock * kBlocks : aBlock);
        uint* packedB = p.PackedB == null ? ws.PackedB((long)Bf16Packing.Pairs(kcMax) * ncMax) : null;
        float* tile = ws.Tile(MR * NR);
        if (packAllA)
            for (int pc = 0, kb = 0; pc < p.K; pc += kcMax, kb++)
                Bf16Packing.PackA(p.A, p.Lda, rowStart, rows, pc, Math.Min(kcMax, p.K - pc), packedA + kb * aBlock);

        int totalPairs = Bf16Packing.Pairs(p.K);
        for (int jc = colStart; jc < colEnd; jc += ncMax)
        {
            int nc = Math.Min(ncMax, colEnd - jc);
            for (int pc = 0, kb = 0; pc < p.K; pc += kcMax, kb++)
            {
                int kc = Math.Min(kcMax, p.K - pc);
                int pairs = Bf16Packing.Pairs(kc);
                uint* bBlock;
                long panelStride;
                if (p.PackedB != null)
                {
                    // Prepacked panels span all of K; jc is a multiple of NR and pc of 2.
                    panelStride = (long)NR * totalPairs;
                    bBlock = p.PackedB + jc / NR * panelStride + (long)(pc / 2) * NR;
                }
                else
                {
                    panelStride = (long)NR * pairs;
                    Bf16Packing.PackB(p.TransB, p.B, p.Ldb, pc, kc, jc, nc, packedB, panelStride);
                    bBlock = packedB;
                }
                bool first = pc == 0;
                if (packAllA)
                {
                    Block(p, first, packedA + kb * aBlock, rows, pairs, bBlock, panelStride, nc, rowStart, jc, tile);
                    continue;
                }
                for (int ic = rowStart; ic < rowEnd; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, rowEnd - ic);
                    Bf16Packing.PackA(p.A, p.Lda, ic, mc, pc, kc, packedA);
                    Block(p, first, packedA, mc, pairs, bBlock, panelStride, nc, ic, jc, tile);
                }
            }
        }
    }

    /// <summary>All micro-tiles of one A block × one B block. The first pass over K starts from the bias (or zero), later ones from C.</summary>
    private static void Block(in Bf16Problem p, bool first, uint* packedA, int mc, int pairs,
        uint* bBlock, long panelStride, int nc, int ic, int jc, float* tile)
    {
        uint* bPanel = bBlock;
        for (int jr = 0; jr < nc; jr += NR, bPanel += panelStride)
        {
            int cols = Math.Min(NR, nc - jr);
            float* bias = p.Bias == null ? null : p.Bias + jc + jr;
            float* cColumn = p.C + (long)ic * p.Ldc + jc + jr;
            for (int ir = 0; ir < mc; ir += MR)
            {
                int rows = Math.Min(MR, mc - ir);
                uint* aPanel = packedA + (long)ir * pairs;
                float* c = cColumn + (long)ir * p.Ldc;
                if (cols == NR)
                {
                    if (!first) TKernel.Run(rows, pairs, aPanel, bPanel, c, p.Ldc, c, p.Ldc);
                    else TKernel.Run(rows, pairs, aPanel, bPanel, c, p.Ldc, bias != null ? bias : Zeros, 0);
                    continue;
                }
                // A ragged right edge: run the full-width tile in scratch, starting from the valid columns' values.
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < NR; j++)
                        tile[r * NR + j] = j >= cols ? 0f : !first ? c[r * p.Ldc + j] : bias != null ? bias[j] : 0f;
                TKernel.Run(rows, pairs, aPanel, bPanel, tile, NR, tile, NR);
                for (int r = 0; r < rows; r++)
                    new ReadOnlySpan<float>(tile + r * NR, cols).CopyTo(new Span<float>(c + r * p.Ldc, cols));
            }
        }
    }

    /// <summary>K = 0: the product is empty, C is the bias (or zero).</summary>
    private static void BiasOnly(in Bf16Problem p, int rowStart, int rowEnd, int colStart, int colEnd)
    {
        for (int i = rowStart; i < rowEnd; i++)
            for (int j = colStart; j < colEnd; j++)
                p.C[i * p.Ldc + j] = p.Bias == null ? 0f : p.Bias[j];
    }

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;
    private static int RoundUp(int a, int b) => CeilDiv(a, b) * b;
}
