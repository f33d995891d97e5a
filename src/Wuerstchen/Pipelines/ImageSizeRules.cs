namespace Wuerstchen.Pipelines;

/// <summary>
/// How an image size maps to the two latent sizes (SPEC §1.2), with the arithmetic diffusers does in Python
/// doubles: Stage C latent <c>ceil(pixels / 42.67)</c>, Stage B latent <c>int(n · 10.67)</c> (truncation), image
/// <c>4 · hB</c>. Stage B only works when its latent is divisible by <see cref="DecoderLatentMultiple"/>
/// (PixelUnshuffle(2) and three stride-2 downsamples must meet their skip connections again), which for the
/// released scales means image sizes in 128-pixel steps; diffusers fails deep inside the U-Net otherwise, we
/// reject such sizes up front.
/// </summary>
/// <param name="ResolutionMultiple">model_index.json <c>resolution_multiple</c> of the prior folder (42.67).</param>
/// <param name="LatentDimScale">model_index.json <c>latent_dim_scale</c> of the decoder folder (10.67).</param>
/// <param name="DecoderLatentMultiple">patch_size · 2^(levels − 1) of the decoder (2 · 2³ = 16).</param>
/// <param name="VqScale">Stage A's upsampling factor (4).</param>
public sealed record ImageSizeRules(
    double ResolutionMultiple = ImageSizeRules.DefaultResolutionMultiple,
    double LatentDimScale = ImageSizeRules.DefaultLatentDimScale,
    int DecoderLatentMultiple = 16,
    int VqScale = 4)
{
    public const double DefaultResolutionMultiple = 42.67;
    public const double DefaultLatentDimScale = 10.67;

    public static ImageSizeRules Default { get; } = new();

    /// <summary>Stage C latent side for an image side: <c>ceil(pixels / resolution_multiple)</c>.</summary>
    public int PriorLatentSide(int pixels)
    {
        if (pixels <= 0) throw new ArgumentOutOfRangeException(nameof(pixels), pixels, "Image sizes must be positive.");
        return (int)Math.Ceiling(pixels / ResolutionMultiple);
    }

    /// <summary>Stage B latent side for a Stage C latent side: Python's <c>int(n * latent_dim_scale)</c>.</summary>
    public int DecoderLatentSide(int priorLatentSide) => (int)(priorLatentSide * LatentDimScale);

    /// <summary>The side of the decoded image (not necessarily the requested one: 1000 → 1024).</summary>
    public int OutputSideForImage(int pixels) => VqScale * DecoderLatentSide(PriorLatentSide(pixels));

    public bool IsDecodableLatentSide(int priorLatentSide) =>
        priorLatentSide > 0 && DecoderLatentSide(priorLatentSide) > 0 && DecoderLatentSide(priorLatentSide) % DecoderLatentMultiple == 0;

    /// <summary>Throws when Stage B cannot decode an image of this size, suggesting the nearest sizes that work.</summary>
    public void CheckDecodable(int height, int width)
    {
        CheckSide("height", height);
        CheckSide("width", width);
    }

    /// <summary>Throws when Stage B cannot decode image embeddings of this latent size.</summary>
    public void CheckDecodableLatent(int priorLatentHeight, int priorLatentWidth)
    {
        foreach (var (name, n) in new[] { ("height", priorLatentHeight), ("width", priorLatentWidth) })
            if (!IsDecodableLatentSide(n))
                throw new ArgumentException(
                    $"Image embeddings with latent {name} {n} give a Stage B latent of {DecoderLatentSide(n)}, which is not divisible by " +
                    $"{DecoderLatentMultiple} as the decoder needs. Usable latent sides near it: {string.Join(", ", NearbyDecodableLatentSides(n))}.");
    }

    private void CheckSide(string name, int pixels)
    {
        int n = PriorLatentSide(pixels);
        if (IsDecodableLatentSide(n)) return;
        var suggestions = NearbyDecodableLatentSides(n).Select(ImageSideFor);
        throw new ArgumentException(
            $"{name} {pixels} is not supported: it gives a Stage C latent of {n} and a Stage B latent of {DecoderLatentSide(n)}, " +
            $"which is not divisible by {DecoderLatentMultiple} as the decoder needs. Use a size in " +
            $"{ImageSideFor(SmallestDecodableLatentSide())}-pixel steps; nearest: {string.Join(" or ", suggestions)}.",
            name);
    }

    /// <summary>The smallest image side whose Stage C latent side is <paramref name="n"/> and decodes to exactly that side.</summary>
    private int ImageSideFor(int n)
    {
        int side = VqScale * DecoderLatentSide(n);
        // For the released scales 4·int(10.67 n) maps back to n; fall back to the smallest side that does.
        return PriorLatentSide(side) == n ? side : (int)Math.Floor((n - 1) * ResolutionMultiple) + 1;
    }

    private int SmallestDecodableLatentSide()
    {
        for (int n = 1; n < 10_000; n++) if (IsDecodableLatentSide(n)) return n;
        throw new InvalidOperationException("No decodable latent size exists for these scales.");
    }

    private IEnumerable<int> NearbyDecodableLatentSides(int n)
    {
        for (int below = n - 1; below > 0; below--)
            if (IsDecodableLatentSide(below)) { yield return below; break; }
        for (int above = n + 1; above < n + 10_000; above++)
            if (IsDecodableLatentSide(above)) { yield return above; break; }
    }
}
