using System.Runtime.Intrinsics;

namespace Wuerstchen.Kernels;

/// <summary>
/// The steps between the two products of attention computed transposed — scores sᵀ[keys, queries] and the partial
/// output accᵀ[dv, queries], rows <c>ld</c> floats apart (<see cref="AttentionAvx512"/>, <see cref="Bf16.Bf16Attention"/>):
/// masking, the causal mask, the online softmax down the query columns, and the final division and transposition.
/// </summary>
internal static unsafe class TransposedAttention
{
    /// <summary>One work item: a (batch, head) and its query blocks [FirstBlock, LastBlock), which see keys [0, KeyEnd).</summary>
    public readonly record struct WorkItem(int Batch, int Head, int FirstBlock, int LastBlock, int KeyEnd);

    /// <summary>
    /// Runs <paramref name="body"/> over the engine's threads: whole heads per item when there are enough of them to keep
    /// every thread busy (each head's keys and values are then packed once), else one query block per item.
    /// </summary>
    public static void ForEachItem(int batch, int heads, int lq, int lk, bool causal, Action<WorkItem> body)
    {
        int queryBlocks = (lq + Attention.QueryBlock - 1) / Attention.QueryBlock;
        int groups = batch * heads >= 2 * Threads.Available ? 1 : queryBlocks;
        int blocksPerItem = (queryBlocks + groups - 1) / groups;
        Threads.For(batch * heads * groups, item =>
        {
            int g = item % groups, bh = item / groups;
            int firstBlock = g * blocksPerItem, lastBlock = Math.Min(queryBlocks, firstBlock + blocksPerItem);
            if (firstBlock >= lastBlock) return;
            // Keys any query of this item can see (causal: up to its last row).
            int keyEnd = causal ? Math.Min(lk, Math.Min(lq, lastBlock * Attention.QueryBlock)) : lk;
            body(new WorkItem(bh / heads, bh % heads, firstBlock, lastBlock, keyEnd));
        });
    }

    /// <summary>sᵀ[j, r] += mask[b, h, i0 + r, j0 + j].</summary>
    public static void AddMask(float* sT, int ld, AttentionMask mk, int b, int h, int i0, int rows, int j0, int cols)
    {
        float* origin = mk.Data + b * mk.Batch + h * mk.Head + i0 * mk.Row + (long)j0 * mk.Column;
        for (int j = 0; j < cols; j++)
        {
            float* column = origin + (long)j * mk.Column;
            float* s = sT + j * ld;
            for (int r = 0; r < rows; r++) s[r] += column[r * mk.Row];
        }
    }

    /// <summary>The causal mask: key j0 + j is hidden (−∞) from queries i0 + r &lt; j0 + j.</summary>
    public static void HideFutureKeys(float* sT, int ld, int i0, int rows, int j0, int cols)
    {
        for (int j = 0; j < cols; j++)
        {
            int hidden = Math.Min(rows, j0 + j - i0);
            if (hidden > 0) new Span<float>(sT + j * ld, hidden).Fill(float.NegativeInfinity);
        }
    }

    /// <summary>
    /// Folds one block of scores into every query's running softmax, TV.Count queries at a time: the block max
    /// over keys, the rescaling of l and of the partial output by exp(m − m'), then sᵀ ← exp(sᵀ − m') and l += Σ.
    /// A query whose keys are all −∞ so far keeps shift 0, so its probabilities are exp(−∞) = 0, not NaN.
    /// </summary>
    public static void OnlineSoftmax<TV>(float* sT, int ld, int cols, float* m, float* l, float* accT, int dv)
        where TV : unmanaged, ISimd<TV>
    {
        var negInf = TV.Create(float.NegativeInfinity);
        var lowest = TV.Create(float.MinValue);
        for (int q = 0; q < ld; q += TV.Count)
        {
            var blockMax = negInf;
            for (int j = 0; j < cols; j++) blockMax = TV.Max(blockMax, TV.Load(sT + j * ld + q));
            var oldMax = TV.Load(m + q);
            var newMax = TV.Max(oldMax, blockMax);
            var shift = TV.Select(TV.LessThan(newMax, lowest), TV.Create(0f), newMax);
            var correction = VectorMath.Exp(oldMax - shift);          // 0 while m was −∞ (and l, acc are 0 then)
            TV.Store(newMax, m + q);
            for (int c = 0; c < dv; c++)
            {
                float* a = accT + c * ld + q;
                TV.Store(TV.Load(a) * correction, a);
            }
            var sum = TV.Load(l + q) * correction;
            for (int j = 0; j < cols; j++)
            {
                float* s = sT + j * ld + q;
                var e = VectorMath.Exp(TV.Load(s) - shift);
                TV.Store(e, s);
                sum += e;
            }
            TV.Store(sum, l + q);
        }
    }

    /// <summary>
    /// <see cref="TransposedAttention.OnlineSoftmax{TV}"/> with 512-bit vectors, native (x86) max and <see cref="ExpNonPositive"/>: every argument
    /// is ≤ 0 (a score minus its running max), so an exp good to 10⁻⁶ serves, at a fraction of the cost of
    /// <see cref="VectorMath.Exp{TV}(TV)"/>'s full float accuracy and IEEE special cases (the float32 attention
    /// went 301 → 254 ms on Stage B's 4096-token block; the bf16 one rounds the probabilities to bf16 anyway).
    /// </summary>
    public static void OnlineSoftmax512(float* sT, int ld, int cols, float* m, float* l, float* accT, int dv)
    {
        var negInf = Vector512.Create(float.NegativeInfinity);
        for (int q = 0; q < ld; q += 16)
        {
            var blockMax = negInf;
            for (int j = 0; j < cols; j++) blockMax = Vector512.MaxNative(blockMax, Vector512.Load(sT + j * ld + q));
            var oldMax = Vector512.Load(m + q);
            var newMax = Vector512.MaxNative(oldMax, blockMax);
            var shift = Vector512.ConditionalSelect(Vector512.Equals(newMax, negInf), Vector512<float>.Zero, newMax);
            var correction = ExpNonPositive(oldMax - shift);
            newMax.Store(m + q);
            for (int c = 0; c < dv; c++)
            {
                float* a = accT + c * ld + q;
                (Vector512.Load(a) * correction).Store(a);
            }
            var sum = Vector512.Load(l + q) * correction;
            for (int j = 0; j < cols; j++)
            {
                float* s = sT + j * ld + q;
                var e = ExpNonPositive(Vector512.Load(s) - shift);
                e.Store(s);
                sum += e;
            }
            sum.Store(l + q);
        }
    }

    /// <summary>
    /// e^x for x ≤ 0 (−∞ → 0), relative error below 10⁻⁶: n = round(x·log₂e) by the 1.5·2²³ shifter, a degree-6
    /// Taylor polynomial on |r| ≤ ln2/2, and 2ⁿ built in the exponent field (n ≥ −126 after clamping x at −87.3).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ExpNonPositive(Vector512<float> x)
    {
        const float Shifter = 12582912f;                                   // 1.5·2²³
        var xc = Vector512.MaxNative(x, Vector512.Create(-87.33654f));
        var t = Vector512.FusedMultiplyAdd(xc, Vector512.Create(1.44269504f), Vector512.Create(Shifter));
        var n = t - Vector512.Create(Shifter);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), xc);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1f / 720f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f));
        var pow2 = ((t.AsInt32() - Vector512.Create(0x4B40_0000 - 127)) << 23).AsSingle();
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(-87.33654f)), Vector512<float>.Zero, p * pow2);
    }

    /// <summary>o[r, c] = accᵀ[c, r] / l[r] for the block's rows (a query whose keys were all masked gets 0/0 = NaN, as torch).</summary>
    public static void WriteOutput(float* accT, int ld, float* l, int rows, int dv, float* o, long oRow)
    {
        for (int r = 0; r < rows; r++)
        {
            float inv = 1f / l[r];
            float* dst = o + r * oRow;
            for (int c = 0; c < dv; c++) dst[c] = accT[c * ld + r] * inv;
        }
    }
}
