namespace Wuerstchen.Evaluation;

/// <summary>One connected region of a binary mask: its label, pixel count and bounding box (inclusive).</summary>
public sealed record Component(int Label, int Area, int MinX, int MinY, int MaxX, int MaxY);

/// <summary>8-connected component labelling of a binary mask (flood fill with an explicit stack).</summary>
public static class ConnectedComponents
{
    /// <summary>Labels (0 = background, components 1…n) and the components, largest first.</summary>
    public static (int[] Labels, List<Component> Components) Label(ReadOnlySpan<bool> mask, int width, int height)
    {
        if (mask.Length != width * height) throw new ArgumentException($"Mask has {mask.Length} values, not {width}×{height}.", nameof(mask));
        var labels = new int[mask.Length];
        var components = new List<Component>();
        var stack = new Stack<int>();
        int next = 0;
        for (int start = 0; start < mask.Length; start++)
        {
            if (!mask[start] || labels[start] != 0) continue;
            int label = ++next, area = 0;
            int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
            labels[start] = label;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int p = stack.Pop();
                int x = p % width, y = p / width;
                area++;
                minX = Math.Min(minX, x); maxX = Math.Max(maxX, x);
                minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
                for (int dy = -1; dy <= 1; dy++)
                {
                    int ny = y + dy;
                    if ((uint)ny >= (uint)height) continue;
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int nx = x + dx;
                        if ((uint)nx >= (uint)width) continue;
                        int q = ny * width + nx;
                        if (mask[q] && labels[q] == 0)
                        {
                            labels[q] = label;
                            stack.Push(q);
                        }
                    }
                }
            }
            components.Add(new Component(label, area, minX, minY, maxX, maxY));
        }
        components.Sort((a, b) => b.Area != a.Area ? b.Area.CompareTo(a.Area) : a.Label.CompareTo(b.Label));
        return (labels, components);
    }
}
