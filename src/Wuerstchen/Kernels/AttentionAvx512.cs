namespace Wuerstchen.Kernels;

/// <summary>
/// <see cref="Attention"/> in float32 on the AVX-512 GEMM micro-kernel, laid out as <see cref="Bf16.Bf16Attention"/>
/// is: the transposed problem, keys × queries, so the online softmax runs down contiguous query rows and the
/// probabilities serve as the second product's B operand in place (the kernel reads B rows at any stride):
/// <code>
/// sᵀ[keys, queries]  = K · (q·scale)ᵀ     A = the block's keys (12-key panels, packed once per head), B = 32-query panels
/// m, l, p            per query (column of sᵀ), with an exp for arguments ≤ 0 good to 10⁻⁶ (TransposedAttention.OnlineSoftmax512)
/// accᵀ[dv, queries] += Vᵀ · sᵀ            A = the block's values transposed (packed once per head), B = sᵀ itself
/// </code>
/// Each score is the same sequence of FMAs as in the row-major path; the softmax sums run in another order.
/// </summary>
internal static unsafe class AttentionAvx512
{
    private const int MR = 12, NR = 32;
    private const int QueryBlock = Attention.QueryBlock, KeyBlock = Attention.KeyBlock;

    public static bool IsSupported => GemmKernelAvx512.IsSupported;

    /// <inheritdoc cref="Attention.Forward"/>
    public static void Forward(int batch, int heads, int lq, int lk, int d, int dv,
        AttentionOperand q, AttentionOperand k, AttentionOperand v, AttentionMask? mask, bool causal, float scale, AttentionOperand o)
    {
        if (batch <= 0 || heads <= 0 || lq <= 0 || dv <= 0) return;
        TransposedAttention.ForEachItem(batch, heads, lq, lk, causal, item =>
        {
            var (b, h, firstBlock, lastBlock, keyEnd) = item;
            var ws = Workspace.For(d, dv, keyEnd);
            float* keys = k.Data + b * k.Batch + h * k.Head, values = v.Data + b * v.Batch + h * v.Head;
            for (int j0 = 0, jb = 0; j0 < keyEnd; j0 += KeyBlock, jb++)
            {
                int cols = Math.Min(KeyBlock, keyEnd - j0);
                GemmPacking.PackA(false, keys, k.Row, j0, cols, 0, d, MR, ws.Keys + jb * ws.KeyBlockStride);
                GemmPacking.PackA(true, values + j0 * v.Row, v.Row, 0, dv, 0, cols, MR, ws.Values + jb * ws.ValueBlockStride);
            }
            for (int qb = firstBlock; qb < lastBlock; qb++)
            {
                int i0 = qb * QueryBlock, rows = Math.Min(QueryBlock, lq - i0);
                QueryBlockForward(ws, b, h, i0, rows, lk, d, dv, q, mask, causal, scale, o);
            }
        });
    }

    private static void QueryBlockForward(Workspace ws, int b, int h, int i0, int rows, int lk, int d, int dv,
        AttentionOperand q, AttentionMask? mask, bool causal, float scale, AttentionOperand o)
    {
        int ld = (rows + NR - 1) / NR * NR, queryPanels = ld / NR;
        float* sT = ws.Scores, accT = ws.Acc, m = ws.Max, l = ws.Sum, qs = ws.ScaledQueries;
        float* qRows = q.Data + b * q.Batch + h * q.Head + i0 * q.Row;
        for (int r = 0; r < rows; r++)
            Elementwise.MapSerial(new MulScalarOp(scale), qRows + r * q.Row, qs + r * d, d);
        GemmPacking.PackB(true, qs, d, 0, d, 0, rows, NR, ws.Queries, (long)NR * d);
        new Span<float>(accT, dv * ld).Clear();
        new Span<float>(m, ld).Fill(float.NegativeInfinity);
        new Span<float>(l, ld).Clear();
        var overwrite = new GemmEpilogue(1f, 0f, null);
        var accumulate = new GemmEpilogue(1f, 1f, null);

        int keyEnd = causal ? Math.Min(lk, i0 + rows) : lk;
        for (int j0 = 0, jb = 0; j0 < keyEnd; j0 += KeyBlock, jb++)
        {
            int cols = Math.Min(KeyBlock, keyEnd - j0);
            float* keyPanels = ws.Keys + jb * ws.KeyBlockStride;
            for (int kt = 0; kt < cols; kt += MR)
                for (int qp = 0; qp < queryPanels; qp++)
                    GemmKernelAvx512.Run(Math.Min(MR, cols - kt), d, keyPanels + (long)kt * d, ws.Queries + (long)qp * NR * d,
                        sT + kt * ld + qp * NR, ld, overwrite);
            if (mask is { } mk) TransposedAttention.AddMask(sT, ld, mk, b, h, i0, rows, j0, cols);
            if (causal) TransposedAttention.HideFutureKeys(sT, ld, i0, rows, j0, cols);
            TransposedAttention.OnlineSoftmax512(sT, ld, cols, m, l, accT, dv);
            float* valuePanels = ws.Values + jb * ws.ValueBlockStride;
            for (int ct = 0; ct < dv; ct += MR)
                for (int qp = 0; qp < queryPanels; qp++)
                    GemmKernelAvx512.Run(Math.Min(MR, dv - ct), cols, valuePanels + (long)ct * cols, sT + qp * NR, ld,
                        accT + ct * ld + qp * NR, ld, accumulate);
        }
        TransposedAttention.WriteOutput(accT, ld, l, rows, dv, o.Data + b * o.Batch + h * o.Head + i0 * o.Row, o.Row);
    }

    /// <summary>Per-thread buffers, grown on demand and kept for the thread's lifetime.</summary>
    private sealed class Workspace
    {
        [ThreadStatic] private static Workspace? _current;

        private readonly ScratchArena _arena = new();

        public float* Keys, Values, Queries, Scores, Acc, Max, Sum, ScaledQueries;
        public long KeyBlockStride, ValueBlockStride;

        public static Workspace For(int d, int dv, int keys)
        {
            var ws = _current ??= new Workspace();
            ws.Layout(d, dv, keys);
            return ws;
        }

        private void Layout(int d, int dv, int keys)
        {
            int keyBlocks = (keys + KeyBlock - 1) / KeyBlock;
            int paddedValues = (dv + MR - 1) / MR * MR;
            KeyBlockStride = (long)(KeyBlock + MR - 1) / MR * MR * d;
            ValueBlockStride = (long)paddedValues * KeyBlock;
            Span<long> sizes =
            [
                keyBlocks * KeyBlockStride, keyBlocks * ValueBlockStride, (long)QueryBlock * d,
                (long)KeyBlock * QueryBlock, (long)paddedValues * QueryBlock, QueryBlock, QueryBlock, (long)QueryBlock * d,
            ];
            Span<nint> starts = stackalloc nint[sizes.Length];
            _arena.Carve(sizes, starts);
            Keys = (float*)starts[0];
            Values = (float*)starts[1];
            Queries = (float*)starts[2];
            Scores = (float*)starts[3];
            Acc = (float*)starts[4];
            Max = (float*)starts[5];
            Sum = (float*)starts[6];
            ScaledQueries = (float*)starts[7];
        }
    }
}
