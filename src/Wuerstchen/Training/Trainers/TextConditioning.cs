using Wuerstchen.Autograd;
using Wuerstchen.Models;
using Wuerstchen.Tensors;
using Wuerstchen.Text;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// A stage's tokenizer + CLIP text encoder during training: captions → <c>last_hidden_state</c> [B, 77, d] with the
/// padding mask, exactly as the pipelines encode prompts (SPEC §5.1). Frozen, it runs without recording; trained
/// jointly (<c>--train-text-encoder</c>), it records so the loss reaches its weights.
/// </summary>
public sealed class TextConditioning(ClipTokenizer tokenizer, string tokenizerFolder, ClipTextModel textEncoder, bool train) : IDisposable
{
    public ClipTokenizer Tokenizer { get; } = tokenizer;

    /// <summary>Folder the tokenizer files were read from (copied into pipeline checkpoints).</summary>
    public string TokenizerFolder { get; } = tokenizerFolder;

    public ClipTextModel TextEncoder { get; } = textEncoder;
    public bool Train { get; } = train;

    /// <summary>
    /// Loads <c>tokenizer/</c> and <c>text_encoder/</c> of a pipeline folder (writable weights when trained). A
    /// <c>text_encoder/</c> holding only a <c>config.json</c> is a text encoder to train from scratch jointly with the
    /// stage (HF CLIP initialisation seeded by <paramref name="seed"/>); that needs <paramref name="train"/>.
    /// </summary>
    public static TextConditioning FromPipelineFolder(string folder, bool train, ulong seed = 0)
    {
        var tokenizerFolder = Path.Combine(folder, "tokenizer");
        var encoderFolder = Path.Combine(folder, "text_encoder");
        if (!Directory.Exists(tokenizerFolder) || !Directory.Exists(encoderFolder))
            throw new DirectoryNotFoundException($"'{folder}' needs tokenizer/ and text_encoder/ subfolders (a Würstchen pipeline folder).");
        var tokenizer = ClipTokenizer.FromDirectory(tokenizerFolder);
        return new TextConditioning(tokenizer, tokenizerFolder, LoadOrCreate(encoderFolder, train, seed), train);
    }

    private static ClipTextModel LoadOrCreate(string encoderFolder, bool train, ulong seed)
    {
        bool hasWeights = Directory.EnumerateFiles(encoderFolder, "*.safetensors*").Any();
        if (hasWeights) return ClipTextModel.FromPretrained(encoderFolder, writable: train);
        string config = Path.Combine(encoderFolder, "config.json");
        if (!File.Exists(config)) throw new FileNotFoundException($"'{encoderFolder}' has neither weights nor a config.json.", config);
        if (!train)
            throw new InvalidDataException($"'{encoderFolder}' has a config.json but no weights: a text encoder trained from scratch must train jointly (--train-text-encoder).");
        return Wuerstchen.Models.Init.ClipTextInit.Create(Wuerstchen.Models.Configs.ClipTextConfig.Load(config), seed);
    }

    public Tensor Encode(IReadOnlyList<string> captions) => Encode(captions, out _);

    /// <summary>As <see cref="Encode(IReadOnlyList{string})"/>, also giving the attention mask [B·77] (1 for the caption's tokens).</summary>
    public Tensor Encode(IReadOnlyList<string> captions, out int[] attentionMask)
    {
        int length = Tokenizer.ModelMaxLength;
        var ids = new int[captions.Count * length];
        var mask = new int[captions.Count * length];
        for (int b = 0; b < captions.Count; b++)
        {
            var encoding = Tokenizer.Encode(captions[b], length);
            encoding.InputIds.CopyTo(ids, b * length);
            encoding.AttentionMask.CopyTo(mask, b * length);
        }
        attentionMask = mask;
        if (Train) return TextEncoder.Forward(ids, mask, captions.Count);
        using var _ = Tape.NoGrad();
        return TextEncoder.Forward(ids, mask, captions.Count);
    }

    public void Dispose() => TextEncoder.Dispose();
}
