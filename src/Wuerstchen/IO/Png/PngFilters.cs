namespace Wuerstchen.IO.Png;

/// <summary>The five PNG row filters (method 0). Each predicts a byte from its left (a), upper (b) and upper-left (c) neighbours.</summary>
public enum PngFilter : byte { None = 0, Sub = 1, Up = 2, Average = 3, Paeth = 4 }

internal static class PngFilters
{
    /// <summary>Undoes <paramref name="filter"/> on <paramref name="row"/> in place, given the already reconstructed previous row (zeros for the first).</summary>
    public static void Unfilter(PngFilter filter, Span<byte> row, ReadOnlySpan<byte> previous, int stride)
    {
        int n = row.Length;
        switch (filter)
        {
            case PngFilter.None:
                break;
            case PngFilter.Sub:
                for (int i = stride; i < n; i++) row[i] += row[i - stride];
                break;
            case PngFilter.Up:
                for (int i = 0; i < n; i++) row[i] += previous[i];
                break;
            case PngFilter.Average:
                for (int i = 0; i < stride && i < n; i++) row[i] += (byte)(previous[i] >> 1);
                for (int i = stride; i < n; i++) row[i] += (byte)((row[i - stride] + previous[i]) >> 1);
                break;
            case PngFilter.Paeth:
                for (int i = 0; i < stride && i < n; i++) row[i] += previous[i];
                for (int i = stride; i < n; i++) row[i] += Paeth(row[i - stride], previous[i], previous[i - stride]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(filter), filter, null);
        }
    }

    /// <summary>Writes <paramref name="row"/> filtered with <paramref name="filter"/> into <paramref name="output"/> (same length).</summary>
    public static void Apply(PngFilter filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> previous, int stride, Span<byte> output)
    {
        int n = row.Length;
        for (int i = 0; i < n; i++)
        {
            byte a = i >= stride ? row[i - stride] : (byte)0;
            byte b = previous[i];
            byte c = i >= stride ? previous[i - stride] : (byte)0;
            output[i] = filter switch
            {
                PngFilter.None => row[i],
                PngFilter.Sub => (byte)(row[i] - a),
                PngFilter.Up => (byte)(row[i] - b),
                PngFilter.Average => (byte)(row[i] - ((a + b) >> 1)),
                PngFilter.Paeth => (byte)(row[i] - Paeth(a, b, c)),
                _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, null),
            };
        }
    }

    /// <summary>
    /// The filter libpng's adaptive heuristic picks: the one whose output, read as signed bytes, has the smallest
    /// sum of absolute values (a cheap proxy for how well deflate will compress the row).
    /// </summary>
    public static PngFilter ChooseAdaptive(ReadOnlySpan<byte> row, ReadOnlySpan<byte> previous, int stride, Span<byte> scratch, Span<byte> best)
    {
        long bestSum = long.MaxValue;
        var bestFilter = PngFilter.None;
        for (var f = PngFilter.None; f <= PngFilter.Paeth; f++)
        {
            Apply(f, row, previous, stride, scratch);
            long sum = 0;
            foreach (var v in scratch) sum += Math.Abs((int)(sbyte)v);
            if (sum < bestSum)
            {
                bestSum = sum;
                bestFilter = f;
                scratch.CopyTo(best);
            }
        }
        return bestFilter;
    }

    /// <summary>The Paeth predictor: whichever of a, b, c is closest to a + b − c (ties: a, then b).</summary>
    public static byte Paeth(byte a, byte b, byte c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        return pb <= pc ? b : c;
    }
}
