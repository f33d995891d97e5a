namespace Wuerstchen.Tensors;

/// <summary>Shape arithmetic shared by tensors and ops (torch rules).</summary>
public static class ShapeUtil
{
    public static long Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    public static int[] Validate(ReadOnlySpan<int> shape)
    {
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"Negative dimension in shape [{string.Join(", ", shape.ToArray())}].");
        return shape.ToArray();
    }

    public static long[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { strides[i] = s; s *= shape[i]; }
        return strides;
    }

    public static bool IsContiguous(ReadOnlySpan<int> shape, ReadOnlySpan<long> strides)
    {
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] != 1 && strides[i] != s) return false;
            s *= shape[i];
        }
        return true;
    }

    public static int[] InferReshape(ReadOnlySpan<int> from, ReadOnlySpan<int> to)
    {
        long total = Numel(from);
        var result = to.ToArray();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException("Reshape allows only one -1.");
                infer = i;
            }
            else if (result[i] < 0) throw new ArgumentException($"Invalid reshape dim {result[i]}.");
            else known *= result[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || total % known != 0) throw new ArgumentException($"Cannot reshape [{string.Join(", ", from.ToArray())}] to [{string.Join(", ", to.ToArray())}].");
            result[infer] = (int)(total / known);
        }
        if (Numel(result) != total) throw new ArgumentException($"Cannot reshape [{string.Join(", ", from.ToArray())}] ({total} elements) to [{string.Join(", ", to.ToArray())}].");
        return result;
    }

    /// <summary>torch broadcasting of two shapes.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"Shapes [{string.Join(", ", a.ToArray())}] and [{string.Join(", ", b.ToArray())}] do not broadcast.");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }
}
