namespace Wuerstchen.Data;

/// <summary>What a dataset does with a broken sample (unreadable or unsupported image, missing or empty caption).</summary>
public enum SampleErrorPolicy
{
    /// <summary>Throw a <see cref="DatasetSampleException"/> naming the file.</summary>
    Stop,

    /// <summary>Log the file and the reason, leave the sample out, and carry on with the next one.</summary>
    Skip,
}

/// <summary>A sample of an image-caption dataset that cannot be used; <see cref="FilePath"/> is the offending file.</summary>
public sealed class DatasetSampleException : Exception
{
    public string FilePath { get; }

    public DatasetSampleException(string filePath, string reason, Exception? inner = null)
        : base($"{filePath}: {reason}", inner) => FilePath = filePath;
}

/// <summary>A sample left out under <see cref="SampleErrorPolicy.Skip"/>: the file and why.</summary>
public sealed record SkippedSample(string FilePath, string Reason)
{
    public override string ToString() => $"{FilePath}: {Reason}";
}
