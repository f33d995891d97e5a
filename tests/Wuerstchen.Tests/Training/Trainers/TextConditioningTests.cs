using Wuerstchen.Models.Init;
using Wuerstchen.Tests.IO;
using Wuerstchen.Training.Trainers;

namespace Wuerstchen.Tests.Training.Trainers;

/// <summary>A pipeline folder whose text_encoder/ holds only a config.json is a text encoder to train from scratch.</summary>
public sealed class TextConditioningTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string ConfigOnlyFolder()
    {
        string root = _temp.File("pipeline");
        string tokenizer = Path.Combine(root, "tokenizer");
        Directory.CreateDirectory(tokenizer);
        foreach (var f in Directory.GetFiles(Reference.Path_("tiny-wuerstchen-prior", "tokenizer")))
            File.Copy(f, Path.Combine(tokenizer, Path.GetFileName(f)));
        Directory.CreateDirectory(Path.Combine(root, "text_encoder"));
        File.Copy(Reference.Path_("tiny-wuerstchen-prior", "text_encoder", "config.json"), Path.Combine(root, "text_encoder", "config.json"));
        return root;
    }

    [Fact]
    public void A_config_only_text_encoder_is_created_with_the_seeded_CLIP_initialisation_when_trained()
    {
        string folder = ConfigOnlyFolder();
        using var text = TextConditioning.FromPipelineFolder(folder, train: true, seed: 11);
        using var expected = ClipTextInit.Create(text.TextEncoder.Config, 11);
        var ours = text.TextEncoder.NamedParameters().ToArray();
        var theirs = expected.NamedParameters().ToArray();
        Assert.Equal(theirs.Select(p => p.Name), ours.Select(p => p.Name));
        for (int i = 0; i < ours.Length; i++) Assert.Equal(theirs[i].Value.ToArray(), ours[i].Value.ToArray());
        using var other = TextConditioning.FromPipelineFolder(folder, train: true, seed: 12);
        Assert.NotEqual(ours[0].Value.ToArray(), other.TextEncoder.NamedParameters().First().Value.ToArray());
        using var hidden = text.Encode(["a red circle"]);
        Assert.Equal(text.TextEncoder.Config.HiddenSize, hidden.Size(2));
    }

    [Fact]
    public void A_config_only_text_encoder_cannot_be_used_frozen()
    {
        var e = Assert.Throws<InvalidDataException>(() => TextConditioning.FromPipelineFolder(ConfigOnlyFolder(), train: false));
        Assert.Contains("--train-text-encoder", e.Message);
        Assert.Contains("text_encoder", e.Message);
    }
}
