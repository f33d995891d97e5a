using System.CommandLine;
using Wuerstchen.Models;
using Wuerstchen.Pipelines;
using Wuerstchen.Pipelines.ImageEncoding;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// Options and loading shared by the image commands (encode, decode, reconstruct, variation). Every problem with a
/// file or folder the user named is reported as a usage error naming the argument it came from.
/// </summary>
internal sealed class EncodeDecodeInputs
{
    public Option<string> Vqgan { get; } = new("--vqgan")
    {
        Description = "Stage A: a vqgan folder (config.json + weights) or a decoder pipeline folder that has one.",
    };

    public Option<string> Effnet { get; } = new("--effnet")
    {
        Description = "The semantic compressor: an effnet folder (EfficientNetEncoder config.json + weights) or a folder with an effnet subfolder.",
    };

    public Option<string> Decoder { get; } = new("--decoder")
    {
        Description = "A WuerstchenDecoderPipeline folder (decoder, text encoder, tokenizer, vqgan, scheduler) for Stage B + Stage A.",
    };

    public Option<string> Prompt { get; } = new("--prompt") { Description = "Stage B's text condition (default: none, \"\")." };

    public Option<int> Steps { get; } = new("--steps") { Description = "Stage B steps.", DefaultValueFactory = _ => 12 };

    public Option<float> Guidance { get; } = new("--guidance")
    {
        Description = "Stage B classifier-free guidance against zero image embeddings (off for ≤ 1).",
        DefaultValueFactory = _ => 0f,
    };

    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Seed of Stage B's noise (random when omitted; printed)." };

    public Option<float> Strength { get; } = new("--strength")
    {
        Description = "Where Stage B starts: 1 from pure noise; below 1 from the image's own Stage A latent noised to t = strength " +
                      "(the lower, the closer to the image), over ⌈steps · strength⌉ steps.",
        DefaultValueFactory = _ => 1f,
    };

    public Option<double> LatentMean { get; } = new("--latent-mean")
    {
        Description = "Stage C latents: latent_mean of the prior they belong to (its model_index.json), latent = (embedding + latent_std) / latent_mean; 42 as released, 1 for the default model.",
        DefaultValueFactory = _ => 42.0,
    };

    public Option<double> LatentStd { get; } = new("--latent-std")
    {
        Description = "Stage C latents: latent_std of the prior they belong to; 1 as released, 0 for the default model.",
        DefaultValueFactory = _ => 1.0,
    };

    /// <summary>--latent-mean / --latent-std, validated.</summary>
    public StageCLatentScale LatentScale(ParseResult parse)
    {
        try { return new StageCLatentScale(parse.GetValue(LatentMean), parse.GetValue(LatentStd)).Validated("--latent-mean/--latent-std"); }
        catch (ArgumentException e) { throw new CliUsageException("--latent-mean", e.Message); }
    }

    public Option<int?> Threads { get; } = new("--threads") { Description = "Worker threads (default: all logical processors)." };

    public IEnumerable<Option> DecoderOptions => [Prompt, Steps, Guidance, Seed];

    /// <summary>Stage B's options as parsed; the strength from <see cref="Strength"/> if <paramref name="withStrength"/> (the command has it), else 1.</summary>
    public SemanticDecodeOptions DecodeOptions(ParseResult parse, int numImages = 1, bool withStrength = false)
    {
        float strength = withStrength ? parse.GetValue(Strength) : 1f;
        if (!(strength > 0f && strength <= 1f)) throw new CliUsageException("--strength", $"must be in (0, 1], got {strength}.");
        return new SemanticDecodeOptions(parse.GetValue(Prompt) ?? "", parse.GetValue(Steps), parse.GetValue(Guidance), numImages, strength);
    }

    public static void ApplyThreads(int? threads)
    {
        if (threads is null) return;
        if (threads <= 0) throw new CliUsageException("--threads", $"must be positive, got {threads}.");
        Kernels.Threads.Count = threads.Value;
    }

    /// <summary>An RGB image [1, 3, H, W] in [0, 1] from the PNG named by <paramref name="argument"/>.</summary>
    public static Tensor ReadImage(string argument, string path)
    {
        if (!File.Exists(path)) throw new CliUsageException(argument, $"file '{path}' does not exist.");
        try { return ImageFiles.ReadRgb(path); }
        catch (InvalidDataException e) { throw new CliUsageException(argument, e.Message); }
    }

    public static StageACodec LoadVqgan(string option, string folder) =>
        Load(option, folder, () => StageACodec.FromFolder(folder));

    public static SemanticCodec LoadEffnet(string option, string folder) =>
        Load(option, folder, () => SemanticCodec.FromFolder(folder));

    /// <summary>A decoder pipeline, checked to take image embeddings of <paramref name="embeddingChannels"/> channels.</summary>
    public static WuerstchenDecoderPipeline LoadDecoder(string option, string folder, int embeddingChannels, string embeddingSource)
    {
        int expected = Load(option, folder, () => SemanticCodec.DecoderEmbeddingChannels(folder));
        if (expected != embeddingChannels)
            throw new CliUsageException(option, $"the decoder in '{folder}' takes {expected}-channel image embeddings, but {embeddingSource} has {embeddingChannels}.");
        return Load(option, folder, () => WuerstchenDecoderPipeline.FromPretrained(folder));
    }

    /// <summary>Loads from a folder the user named, turning a missing folder or unusable contents into a usage error.</summary>
    private static T Load<T>(string option, string folder, Func<T> load)
    {
        if (!Directory.Exists(folder)) throw new CliUsageException(option, $"folder '{folder}' does not exist.");
        try { return load(); }
        catch (Exception e) when (e is ModelFolderException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliUsageException(option, e.Message);
        }
    }

    /// <summary>Runs a size check, reporting its ArgumentException as a usage error of <paramref name="argument"/>.</summary>
    public static void CheckSize(string argument, Action check) => Checked(argument, () => { check(); return true; });

    /// <summary>Runs <paramref name="work"/>, reporting an ArgumentException (a bad size or shape) as a usage error of <paramref name="argument"/>.</summary>
    public static T Checked<T>(string argument, Func<T> work)
    {
        try { return work(); }
        catch (ArgumentException e) { throw new CliUsageException(argument, CliMessages.WithoutParameterName(e)); }
    }

    public static TorchGenerator Generator(CliContext context, ulong? seed)
    {
        ulong value = seed ?? (ulong)System.Random.Shared.NextInt64(0, 1L << 32);
        context.Error.WriteLine($"seed {value}");
        return new TorchGenerator(value);
    }

    public static void RequireOutputFolder(string option, string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder != null && !Directory.Exists(folder)) throw new CliUsageException(option, $"folder '{folder}' does not exist.");
    }
}
