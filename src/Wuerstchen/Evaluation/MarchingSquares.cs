namespace Wuerstchen.Evaluation;

/// <summary>
/// Iso-contours of a sampled scalar field: the closed curves where the field crosses a level, with vertices
/// interpolated linearly along grid edges, so an antialiased or blurred silhouette gets a sub-pixel outline.
/// Samples sit at integer coordinates (pixel (x, y) at (x, y)); the field is taken as 0 outside the grid and the
/// level must be positive, so every contour closes. Saddle cells are resolved by the cell-centre average.
/// </summary>
public static class MarchingSquares
{
    /// <summary>All contour loops of <paramref name="field"/> (height×width, row-major) at <paramref name="level"/>.</summary>
    public static List<(double X, double Y)[]> Contours(ReadOnlySpan<float> field, int width, int height, float level)
    {
        if (field.Length != width * height) throw new ArgumentException($"Field has {field.Length} values, not {width}×{height}.", nameof(field));
        if (!(level > 0)) throw new ArgumentOutOfRangeException(nameof(level), level, "The level must be positive (the field is 0 outside the grid).");
        // Padded grid: one row/column of "outside" around the image; cell (cx, cy) spans samples cx−1..cx, cy−1..cy.
        int pw = width + 2, ph = height + 2;
        var above = new bool[pw * ph];
        var value = new float[pw * ph];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                float v = field[y * width + x];
                value[(y + 1) * pw + x + 1] = v;
                above[(y + 1) * pw + x + 1] = v >= level;
            }

        // Each crossing point lies on a grid edge; edges are numbered 2·(y·pw + x) (+0 horizontal to x+1, +1 vertical to y+1).
        // A segment runs from the edge where the walk leaves "above" to the edge where it re-enters (see Segments),
        // so every crossing starts exactly one segment and ends exactly one: following `next` traces closed loops.
        var next = new Dictionary<int, int>();
        Span<int> crossings = stackalloc int[4];
        for (int cy = 0; cy < ph - 1; cy++)
        {
            for (int cx = 0; cx < pw - 1; cx++)
            {
                int i0 = cy * pw + cx, i1 = i0 + 1, i2 = i0 + pw + 1, i3 = i0 + pw;
                int mask = (above[i0] ? 1 : 0) | (above[i1] ? 2 : 0) | (above[i2] ? 4 : 0) | (above[i3] ? 8 : 0);
                if (mask is 0 or 15) continue;
                // Cell edges clockwise on screen: top (v0→v1), right (v1→v2), bottom (v2→v3), left (v3→v0).
                int top = 2 * i0, right = 2 * i1 + 1, bottom = 2 * i3, left = 2 * i0 + 1;
                bool a0 = above[i0], a1 = above[i1], a2 = above[i2], a3 = above[i3];
                // Walking clockwise, an exit is an edge going from above to below, an entry the reverse.
                int n = 0;
                if (a0 != a1) crossings[n++] = a0 ? top : ~top;
                if (a1 != a2) crossings[n++] = a1 ? right : ~right;
                if (a2 != a3) crossings[n++] = a2 ? bottom : ~bottom;
                if (a3 != a0) crossings[n++] = a3 ? left : ~left;
                if (n == 2)
                {
                    int exit = crossings[0] >= 0 ? crossings[0] : crossings[1];
                    int entry = crossings[0] >= 0 ? ~crossings[1] : ~crossings[0];
                    next[exit] = entry;
                }
                else
                {
                    // Saddle: two exits and two entries alternating. If the centre is above, the above corners
                    // join through the middle: pair each exit with the following entry; otherwise with the preceding one.
                    float centre = (value[i0] + value[i1] + value[i2] + value[i3]) / 4;
                    bool joined = centre >= level;
                    for (int k = 0; k < 4; k++)
                    {
                        if (crossings[k] < 0) continue;
                        int partner = joined ? crossings[(k + 1) % 4] : crossings[(k + 3) % 4];
                        next[crossings[k]] = ~partner;
                    }
                }
            }
        }

        var loops = new List<(double X, double Y)[]>();
        var visited = new HashSet<int>();
        foreach (var start in next.Keys)
        {
            if (visited.Contains(start)) continue;
            var points = new List<(double X, double Y)>();
            int edge = start;
            while (visited.Add(edge))
            {
                points.Add(Crossing(edge, value, pw, level));
                // The segment that starts at this edge ends at next[edge]; the next segment starts there.
                edge = next[edge];
            }
            if (points.Count >= 3) loops.Add(points.ToArray());
        }
        return loops;
    }

    // The interpolated crossing on a padded-grid edge, in image coordinates (padding removed).
    private static (double X, double Y) Crossing(int edge, float[] value, int pw, float level)
    {
        int i = edge >> 1;
        int j = (edge & 1) == 0 ? i + 1 : i + pw;
        double t = (level - value[i]) / (double)(value[j] - value[i]);
        int x = i % pw, y = i / pw;
        return (edge & 1) == 0 ? (x + t - 1, y - 1.0) : (x - 1.0, y + t - 1);
    }
}
