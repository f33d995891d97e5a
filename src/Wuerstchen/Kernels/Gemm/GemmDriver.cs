namespace Wuerstchen.Kernels;

/// <summary>
/// The blocked GEMM loop nest for one kernel, run by one thread on one rectangle of C (BLIS's five loops;
/// C is row-major with the vectors along N):
/// <code>
/// for jc in columns, step NC      B block KC×NC packed → L3 (or read in place when prepacked)
///   for pc in K, step KC
///     for ic in rows, step MC       A block MC×KC packed → L2
///       for jr in block, step NR      B micro-panel KC×NR, reused by every micro-panel of the A block
///         for ir in block, step MR      MR×NR tile of C in registers
/// </code>
/// </summary>
internal static unsafe class GemmDriver<TKernel> where TKernel : struct, IGemmMicroKernel
{
    public static void Run(in GemmProblem p, int rowStart, int rowEnd, int colStart, int colEnd)
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        int rows = rowEnd - rowStart, cols = colEnd - colStart;
        if (rows <= 0 || cols <= 0) return;

        // Even block sizes: K = 1280 runs as 4×320 rather than 3×384 + 128, which would waste a quarter pass.
        int kcMax = CeilDiv(p.K, CeilDiv(p.K, TKernel.KC));
        int mcMax = RoundUp(CeilDiv(rows, CeilDiv(rows, TKernel.MC)), mr);
        // Whole panels (prepacked B is addressed by panel). When one A block covers all rows, each packed B
        // block is used once right after packing, so keep it L2-sized instead of L3-sized.
        int ncMax = RoundUp(rows <= mcMax ? Math.Min(TKernel.NC, TKernel.NCSingleBlock) : TKernel.NC, nr);
        ncMax = Math.Min(ncMax, RoundUp(cols, nr));

        // When one A block covers all rows (skinny M: text encoders, small batches), pack all of A once up front
        // instead of once per column block: at M = 77 the repacking would otherwise cost ~10%.
        bool packAllA = rows <= mcMax;
        long aBlockFloats = (long)mcMax * kcMax;
        int kBlocks = CeilDiv(p.K, kcMax);

        var ws = GemmWorkspace.Current;
        float* packedA = ws.PackedA(packAllA ? aBlockFloats * kBlocks : aBlockFloats);
        float* packedB = p.PackedB == null ? ws.PackedB((long)kcMax * ncMax) : null;
        float* tile = ws.Tile((long)mr * nr);
        if (packAllA)
            for (int pc = 0, kb = 0; pc < p.K; pc += kcMax, kb++)
                GemmPacking.PackA(p.TransA, p.A, p.Lda, rowStart, rows, pc, Math.Min(kcMax, p.K - pc), mr, packedA + kb * aBlockFloats);

        for (int jc = colStart; jc < colEnd; jc += ncMax)
        {
            int nc = Math.Min(ncMax, colEnd - jc);
            for (int pc = 0, kb = 0; pc < p.K; pc += kcMax, kb++)
            {
                int kc = Math.Min(kcMax, p.K - pc);
                float* bBlock;
                long panelStride;
                if (p.PackedB != null)
                {
                    // Prepacked panels span all of K; jc is a multiple of NR, so panel jc/NR starts at jc·K.
                    panelStride = (long)nr * p.K;
                    bBlock = p.PackedB + (long)jc * p.K + (long)pc * nr;
                }
                else
                {
                    panelStride = (long)nr * kc;
                    GemmPacking.PackB(p.TransB, p.B, p.Ldb, pc, kc, jc, nc, nr, packedB, panelStride);
                    bBlock = packedB;
                }
                // beta and the bias apply once, on the first pass over K; later passes accumulate.
                var epilogue = pc == 0 ? new GemmEpilogue(p.Alpha, p.Beta, p.Bias) : new GemmEpilogue(p.Alpha, 1f, null);
                if (packAllA)
                {
                    Block(p, epilogue, packedA + kb * aBlockFloats, rows, kc, bBlock, panelStride, nc, rowStart, jc, tile);
                    continue;
                }
                for (int ic = rowStart; ic < rowEnd; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, rowEnd - ic);
                    GemmPacking.PackA(p.TransA, p.A, p.Lda, ic, mc, pc, kc, mr, packedA);
                    Block(p, epilogue, packedA, mc, kc, bBlock, panelStride, nc, ic, jc, tile);
                }
            }
        }
    }

    private static void Block(in GemmProblem p, GemmEpilogue epilogue, float* packedA, int mc, int kc,
        float* bBlock, long panelStride, int nc, int ic, int jc, float* tile)
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        float* bPanel = bBlock;
        for (int jr = 0; jr < nc; jr += nr, bPanel += panelStride)
        {
            int cols = Math.Min(nr, nc - jr);
            var e = epilogue.Bias == null ? epilogue : epilogue with { Bias = epilogue.Bias + jc + jr };
            float* cColumn = p.C + (long)ic * p.Ldc + jc + jr;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                float* aPanel = packedA + (long)ir * kc;
                float* c = cColumn + (long)ir * p.Ldc;
                if (cols == nr)
                    TKernel.Run(rows, kc, aPanel, bPanel, c, p.Ldc, e);
                else
                {
                    // A ragged right edge: compute the full tile into scratch, then merge the valid columns.
                    TKernel.Run(rows, kc, aPanel, bPanel, tile, nr, new GemmEpilogue(1f, 0f, null));
                    MergeTile(tile, nr, rows, cols, c, p.Ldc, e);
                }
            }
        }
    }

    private static void MergeTile(float* tile, int ldt, int rows, int cols, float* c, long ldc, GemmEpilogue e)
    {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                float v = e.Alpha * tile[i * ldt + j];
                if (e.Beta != 0) v += e.Beta * c[i * ldc + j];
                if (e.Bias != null) v += e.Bias[j];
                c[i * ldc + j] = v;
            }
    }

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;
    private static int RoundUp(int a, int b) => CeilDiv(a, b) * b;
}
