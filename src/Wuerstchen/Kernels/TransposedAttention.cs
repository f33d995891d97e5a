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
