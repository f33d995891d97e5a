using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Wuerstchen.Kernels.Bf16;

/// <summary>
/// <see cref="Attention"/> with both products in bf16 (<c>--compute reduced</c>): the same blockwise online softmax
/// in float32, with q·kᵀ and p·v on the bf16 micro-kernel (float32 accumulation). It works on the transposed
/// problem, keys × queries, so that everything between the two products runs along contiguous query rows:
/// <code>
/// sᵀ[keys, queries]  = K · (q·scale)ᵀ          A = the block's keys (MR-key panels), B = the queries (32-query panels)
/// m, l, p            per query (column of sᵀ): a running max, sum and exp(sᵀ − m) — plain vector ops over rows
/// accᵀ[dv, queries] += Vᵀ · pᵀ                 A = the block's values transposed, B = p: two rows of sᵀ interleaved
///                                              into bf16 pairs, which is exactly a B panel — no transposition
/// </code>
/// A work item owns one (batch, head) — or, when there are too few heads to share out, one query block of it — and
/// packs that head's keys and values once, so every query block reuses them. Queries are padded to whole 32-column
/// panels and values to whole MR-row panels; the padding holds zeros and is never read back.
/// </summary>
internal static unsafe class Bf16Attention
{
    private const int MR = Bf16Packing.MR, NR = Bf16Packing.NR;
    private const int QueryBlock = Attention.QueryBlock, KeyBlock = Attention.KeyBlock;

    /// <summary>NR zero floats: the initial tile of the score product.</summary>
    private static readonly float* Zeros = (float*)NativeMemory.AlignedAlloc(NR * sizeof(float), 64);

    static Bf16Attention() => new Span<float>(Zeros, NR).Clear();

    /// <inheritdoc cref="Attention.Forward"/>
    public static void Forward(int batch, int heads, int lq, int lk, int d, int dv,
        AttentionOperand q, AttentionOperand k, AttentionOperand v, AttentionMask? mask, bool causal, float scale,
        AttentionOperand o, Bf16KernelChoice kernel = Bf16KernelChoice.Auto)
    {
        if (batch <= 0 || heads <= 0 || lq <= 0 || dv <= 0) return;
        var problem = new Problem(batch, heads, lq, lk, d, dv, q, k, v, mask, causal, scale, o);
        if (Bf16Gemm.Resolve(kernel) == Bf16KernelChoice.Jit) Run<Bf16JitKernel>(problem);
        else Run<Bf16ManagedKernel>(problem);
    }

    private readonly record struct Problem(int Batch, int Heads, int Lq, int Lk, int D, int Dv,
        AttentionOperand Q, AttentionOperand K, AttentionOperand V, AttentionMask? Mask, bool Causal, float Scale, AttentionOperand O);

    private static void Run<TKernel>(Problem p) where TKernel : struct, IBf16MicroKernel
    {
        TransposedAttention.ForEachItem(p.Batch, p.Heads, p.Lq, p.Lk, p.Causal, item =>
        {
            var (b, h, firstBlock, lastBlock, keyEnd) = item;
            var ws = Workspace.For(p.D, p.Dv, keyEnd);
            PackKeysAndValues(ws, p, b, h, keyEnd);
            for (int qb = firstBlock; qb < lastBlock; qb++)
                QueryBlockForward<TKernel>(ws, p, b, h, qb * QueryBlock, Math.Min(QueryBlock, p.Lq - qb * QueryBlock));
        });
    }

    /// <summary>Per key block: its keys as MR-key A panels of depth d, its values transposed as MR-row A panels of depth = its keys.</summary>
    private static void PackKeysAndValues(Workspace ws, in Problem p, int b, int h, int keyEnd)
    {
        float* keys = p.K.Data + b * p.K.Batch + h * p.K.Head;
        float* values = p.V.Data + b * p.V.Batch + h * p.V.Head;
        for (int j0 = 0, jb = 0; j0 < keyEnd; j0 += KeyBlock, jb++)
        {
            int cols = Math.Min(KeyBlock, keyEnd - j0);
            Bf16Packing.PackA(keys, p.K.Row, j0, cols, 0, p.D, ws.Keys + jb * ws.KeyBlockStride);
            PackTransposedA(values + j0 * p.V.Row, p.V.Row, cols, p.Dv, ws.Values + jb * ws.ValueBlockStride);
        }
    }

    /// <summary>
    /// A = Vᵀ for one key block: row c (a value channel) has depth = the block's keys, so pair t of row c is
    /// (V[2t, c], V[2t + 1, c]); MR-row panels as <see cref="Bf16Packing.PackA"/> lays them out, zero-padded.
    /// </summary>
    private static void PackTransposedA(float* v, long ldv, int keys, int dv, uint* dst)
    {
        int pairs = Bf16Packing.Pairs(keys);
        for (int c0 = 0; c0 < dv; c0 += MR, dst += (long)MR * pairs)
            for (int t = 0; t < pairs; t++)
            {
                float* even = v + 2L * t * ldv + c0;
                float* odd = 2 * t + 1 < keys ? even + ldv : null;
                uint* d = dst + (long)t * MR;
                for (int r = 0; r < MR; r++)
                    d[r] = c0 + r >= dv ? 0u : odd == null ? BFloat16.FromFloat(even[r]) : BFloat16.Pair(even[r], odd[r]);
            }
    }

    private static void QueryBlockForward<TKernel>(Workspace ws, in Problem p, int b, int h, int i0, int rows)
        where TKernel : struct, IBf16MicroKernel
    {
        int d = p.D, dv = p.Dv, dPairs = Bf16Packing.Pairs(d);
        int ld = (rows + NR - 1) / NR * NR;                 // queries padded to whole B panels: the row stride of sᵀ and accᵀ
        int queryPanels = ld / NR;
        float* sT = ws.Scores, accT = ws.Acc, m = ws.Max, l = ws.Sum, qs = ws.ScaledQueries;

        // B = (q·scale)ᵀ: 32-query panels of depth d (the queries are B's columns, stored row by row: transB).
        float* qRows = p.Q.Data + b * p.Q.Batch + h * p.Q.Head + i0 * p.Q.Row;
        for (int r = 0; r < rows; r++)
            Elementwise.MapSerial(new MulScalarOp(p.Scale), qRows + r * p.Q.Row, qs + r * d, d);
        Bf16Packing.PackB(transB: true, qs, d, 0, d, 0, rows, ws.Queries, (long)NR * dPairs);
        new Span<float>(accT, dv * ld).Clear();
        new Span<float>(m, ld).Fill(float.NegativeInfinity);
        new Span<float>(l, ld).Clear();

        int keyEnd = p.Causal ? Math.Min(p.Lk, i0 + rows) : p.Lk;
        for (int j0 = 0, jb = 0; j0 < keyEnd; j0 += KeyBlock, jb++)
        {
            int cols = Math.Min(KeyBlock, keyEnd - j0), pairs = Bf16Packing.Pairs(cols);
            uint* keyPanels = ws.Keys + jb * ws.KeyBlockStride;
            for (int kt = 0; kt < cols; kt += MR)
                for (int qp = 0; qp < queryPanels; qp++)
                    TKernel.Run(Math.Min(MR, cols - kt), dPairs, keyPanels + (long)kt * dPairs, ws.Queries + (long)qp * NR * dPairs,
                        sT + kt * ld + qp * NR, ld, Zeros, 0);
            if (p.Mask is { } mk) TransposedAttention.AddMask(sT, ld, mk, b, h, i0, rows, j0, cols);
            if (p.Causal) TransposedAttention.HideFutureKeys(sT, ld, i0, rows, j0, cols);
            if (Vector512.IsHardwareAccelerated) TransposedAttention.OnlineSoftmax512(sT, ld, cols, m, l, accT, dv);
            else if (V256.IsAccelerated) TransposedAttention.OnlineSoftmax<V256>(sT, ld, cols, m, l, accT, dv);
            else TransposedAttention.OnlineSoftmax<V128>(sT, ld, cols, m, l, accT, dv);

            PackProbabilities(sT, ld, cols, queryPanels, ws.Probabilities);
            uint* valuePanels = ws.Values + jb * ws.ValueBlockStride;
            for (int ct = 0; ct < dv; ct += MR)
                for (int qp = 0; qp < queryPanels; qp++)
                {
                    float* c = accT + ct * ld + qp * NR;
                    TKernel.Run(Math.Min(MR, dv - ct), pairs, valuePanels + (long)ct * pairs, ws.Probabilities + (long)qp * pairs * NR, c, ld, c, ld);
                }
        }

        TransposedAttention.WriteOutput(accT, ld, l, rows, dv, p.O.Data + b * p.O.Batch + h * p.O.Head + i0 * p.O.Row, p.O.Row);
    }

    /// <summary>
    /// B = pᵀ: keys 2t and 2t + 1 (rows of sᵀ) interleaved into bf16 pairs, 32 queries a panel; panel qp at
    /// dst + qp·pairs·32. An odd last key pairs with zero.
    /// </summary>
    private static void PackProbabilities(float* sT, int ld, int cols, int queryPanels, uint* dst)
    {
        int pairs = Bf16Packing.Pairs(cols);
        for (int t = 0; t < pairs; t++)
        {
            float* even = sT + 2 * t * ld;
            float* odd = 2 * t + 1 < cols ? even + ld : null;
            for (int qp = 0; qp < queryPanels; qp++)
            {
                uint* d = dst + ((long)qp * pairs + t) * NR;
                float* e = even + qp * NR;
                if (Vector512.IsHardwareAccelerated)
                {
                    for (int half = 0; half < NR; half += 16)
                    {
                        var lo = BFloat16.RoundToUpperHalf(Vector512.Load(e + half)) >> 16;
                        var hi = odd == null ? Vector512<uint>.Zero : BFloat16.RoundToUpperHalf(Vector512.Load(odd + qp * NR + half));
                        Vector512.Store(lo | hi, d + half);
                    }
                }
                else Bf16Packing.InterleaveRows(e, odd == null ? null : odd + qp * NR, NR, d);
            }
        }
    }

    /// <summary>Per-thread buffers, grown on demand and kept for the thread's lifetime.</summary>
    private sealed class Workspace
    {
        [ThreadStatic] private static Workspace? _current;

        private readonly ScratchArena _arena = new();

        public uint* Keys, Values, Queries, Probabilities;
        public float* Scores, Acc, Max, Sum, ScaledQueries;
        public long KeyBlockStride, ValueBlockStride;

        public static Workspace For(int d, int dv, int keys)
        {
            var ws = _current ??= new Workspace();
            ws.Layout(d, dv, keys);
            return ws;
        }

        private void Layout(int d, int dv, int keys)
        {
            int dPairs = Bf16Packing.Pairs(d), blockPairs = KeyBlock / 2;
            int keyBlocks = (keys + KeyBlock - 1) / KeyBlock;
            int paddedValues = (dv + MR - 1) / MR * MR;
            KeyBlockStride = (long)(KeyBlock + MR - 1) / MR * MR * dPairs;
            ValueBlockStride = (long)paddedValues * blockPairs;
            // Sizes in 4-byte elements, each rounded up to whole 64-byte lines.
            Span<long> sizes =
            [
                keyBlocks * KeyBlockStride, keyBlocks * ValueBlockStride, (long)QueryBlock * dPairs,
                (long)QueryBlock * blockPairs, (long)KeyBlock * QueryBlock, (long)paddedValues * QueryBlock,
                QueryBlock, QueryBlock, (long)QueryBlock * d,
            ];
            Span<nint> starts = stackalloc nint[sizes.Length];
            _arena.Carve(sizes, starts);
            Keys = (uint*)starts[0];
            Values = (uint*)starts[1];
            Queries = (uint*)starts[2];
            Probabilities = (uint*)starts[3];
            Scores = (float*)starts[4];
            Acc = (float*)starts[5];
            Max = (float*)starts[6];
            Sum = (float*)starts[7];
            ScaledQueries = (float*)starts[8];
        }
    }
}
