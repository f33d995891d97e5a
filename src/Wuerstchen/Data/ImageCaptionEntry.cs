namespace Wuerstchen.Data;

/// <summary>One sample of an image-caption folder: its id (the image's file stem), the image file and the caption.</summary>
public sealed record ImageCaptionEntry(string Id, string ImagePath, string Caption);

/// <summary>The random choices of one sample in one epoch. Crop fractions in [0, 1) are mapped to pixel offsets once the image size is known.</summary>
public readonly record struct SampleAugmentation(bool Flip, double CropX, double CropY)
{
    public static SampleAugmentation None => default;
}
