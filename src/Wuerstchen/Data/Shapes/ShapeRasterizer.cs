using Wuerstchen.Tensors;

namespace Wuerstchen.Data.Shapes;

/// <summary>
/// Draws a <see cref="ShapeScene"/> as a [3, S, S] float32 image in [0, 1] (sRGB values, like an image tensor from
/// a PNG). Edges are antialiased by exact area coverage: a pixel whose centre is farther than half a pixel diagonal
/// from the outline is entirely inside or outside; for the few pixels nearer the outline the covered area is
/// computed by clipping the outline polygon to the pixel (<see cref="PixelCoverage"/>). Objects are composited in
/// order with coverage as alpha (sRGB-space blending, as ordinary drawing libraries do).
/// </summary>
public static class ShapeRasterizer
{
    private const double HalfDiagonal = 0.70710678118654752;

    public static Tensor Render(ShapeScene scene, int size)
    {
        ArgumentNullException.ThrowIfNull(scene);
        if (size is < 8 or > 4096) throw new ArgumentOutOfRangeException(nameof(size), size, "Image size must be in [8, 4096].");
        var image = Tensor.Empty(3, size, size);
        RenderInto(scene, size, image.AsSpan());
        return image;
    }

    /// <summary>Draws into a contiguous [3, size, size] buffer.</summary>
    public static void RenderInto(ShapeScene scene, int size, Span<float> chw)
    {
        if (chw.Length != 3 * size * size)
            throw new ArgumentException($"Buffer of {chw.Length} floats; a [3, {size}, {size}] image needs {3 * size * size}.", nameof(chw));
        int plane = size * size;
        var r = chw[..plane];
        var g = chw.Slice(plane, plane);
        var b = chw.Slice(2 * plane, plane);
        FillBackground(scene.Background, size, r, g, b);
        foreach (var obj in scene.Objects) DrawObject(obj, size, r, g, b);
    }

    private static void FillBackground(SceneBackground bg, int size, Span<float> r, Span<float> g, Span<float> b)
    {
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                float u = (x + 0.5f) / size, v = (y + 0.5f) / size;
                float t = bg.Fill switch
                {
                    BackgroundFill.VerticalGradient => v,
                    BackgroundFill.HorizontalGradient => u,
                    BackgroundFill.DiagonalGradient => (u + v) / 2,
                    _ => 0f,
                };
                var c = Rgb.Lerp(bg.From, bg.To, t);
                int i = y * size + x;
                r[i] = c.R; g[i] = c.G; b[i] = c.B;
            }
        }
    }

    private static void DrawObject(SceneObject obj, int size, Span<float> r, Span<float> g, Span<float> b)
    {
        var outline = ShapeOutline.Of(obj.Shape);
        double radiusPx = obj.Radius * size;
        double cxPx = obj.CenterX * size, cyPx = obj.CenterY * size;
        int x0 = Math.Max(0, (int)Math.Floor(cxPx - radiusPx * outline.HalfWidth) - 1);
        int x1 = Math.Min(size - 1, (int)Math.Ceiling(cxPx + radiusPx * outline.HalfWidth) + 1);
        int y0 = Math.Max(0, (int)Math.Floor(cyPx - radiusPx * outline.HalfHeight) - 1);
        int y1 = Math.Min(size - 1, (int)Math.Ceiling(cyPx + radiusPx * outline.HalfHeight) + 1);

        // The outline in pixel coordinates, for the exact coverage of edge pixels.
        var unit = outline.CoveragePolygon;
        var polygon = new (double X, double Y)[unit.Count];
        for (int i = 0; i < polygon.Length; i++) polygon[i] = (cxPx + radiusPx * unit[i].X, cyPx + radiusPx * unit[i].Y);
        var scratchA = new (double X, double Y)[2 * polygon.Length + 8];
        var scratchB = new (double X, double Y)[2 * polygon.Length + 8];

        double inv = 1 / radiusPx;
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                double distancePx = outline.SignedDistance((x + 0.5 - cxPx) * inv, (y + 0.5 - cyPx) * inv) * radiusPx;
                if (distancePx >= HalfDiagonal) continue;
                float alpha = distancePx <= -HalfDiagonal ? 1f : (float)PixelCoverage.Of(polygon, x, y, scratchA, scratchB);
                if (alpha == 0f) continue;
                int i = y * size + x;
                r[i] += (obj.Fill.R - r[i]) * alpha;
                g[i] += (obj.Fill.G - g[i]) * alpha;
                b[i] += (obj.Fill.B - b[i]) * alpha;
            }
        }
    }
}
