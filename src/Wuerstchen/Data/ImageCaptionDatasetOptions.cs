using Wuerstchen.IO.Png;

namespace Wuerstchen.Data;

/// <summary>How the crop window is chosen after resizing the shorter side to the resolution.</summary>
public enum CropMode
{
    /// <summary>torchvision's CenterCrop (offsets round half to even, as Python's round).</summary>
    Center,

    /// <summary>torchvision's RandomCrop: uniform offsets, drawn per sample and epoch from the dataset seed.</summary>
    Random,
}

/// <summary>Settings of an <see cref="ImageCaptionDataset"/>. Defaults match diffusers' text-to-image training scripts.</summary>
public sealed record ImageCaptionDatasetOptions
{
    /// <summary>Output side S: the shorter side is resized to S (antialiased bilinear), then an S×S window is cut.</summary>
    public int Resolution { get; init; } = 64;

    public CropMode Crop { get; init; } = CropMode.Center;

    /// <summary>Mirror left–right with probability ½, drawn per sample and epoch.</summary>
    public bool RandomFlip { get; init; }

    /// <summary>[0, 1] (torchvision ToTensor) or [−1, 1] (ToTensor + Normalize(0.5, 0.5), the VAE/VQGAN input range).</summary>
    public PixelRange Range { get; init; } = PixelRange.MinusOneToOne;

    /// <summary>Seed of the epoch shuffles, crops and flips.</summary>
    public ulong Seed { get; init; }

    /// <summary>Visit samples in a fresh random order each epoch (otherwise in file-name order).</summary>
    public bool Shuffle { get; init; } = true;

    public SampleErrorPolicy OnError { get; init; } = SampleErrorPolicy.Stop;

    /// <summary>Receives one line per skipped sample (default: standard error), so a skip is never silent.</summary>
    public Action<string> Log { get; init; } = message => Console.Error.WriteLine(message);

    public void Validate()
    {
        if (Resolution is < 8 or > 8192) throw new ArgumentOutOfRangeException(nameof(Resolution), Resolution, "Resolution must be in [8, 8192].");
        if (!Enum.IsDefined(Crop)) throw new ArgumentOutOfRangeException(nameof(Crop), Crop, "Unknown crop mode.");
        if (!Enum.IsDefined(Range)) throw new ArgumentOutOfRangeException(nameof(Range), Range, "Unknown pixel range.");
        if (!Enum.IsDefined(OnError)) throw new ArgumentOutOfRangeException(nameof(OnError), OnError, "Unknown error policy.");
        ArgumentNullException.ThrowIfNull(Log);
    }
}
