using Wuerstchen.Pipelines;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>
/// Finding the default model: <c>$WUERSTCHEN_MODEL</c> first, else <c>models/default</c> beside the tool; a clear
/// message when there is none; <c>defaults.json</c> read strictly. The folders are stand-ins with random weights.
/// </summary>
public sealed class DefaultModelTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private string Tool => Directory.CreateDirectory(_temp.File("tool")).FullName;

    public void Dispose() => _temp.Dispose();

    private string StandIn(string name, DefaultModelSettings? settings = null)
    {
        string root = _temp.File(name);
        StandInDefaultModel.Write(root, settings);
        return root;
    }

    [Fact]
    public void The_model_beside_the_tool_is_found_with_its_settings()
    {
        string shipped = DefaultModel.ShippedPath(Tool);
        StandInDefaultModel.Write(shipped);

        var model = DefaultModel.Find(environmentValue: null, Tool);

        Assert.Equal(Path.Combine(shipped, "prior"), model.PriorFolder);
        Assert.Equal(Path.Combine(shipped, "decoder"), model.DecoderFolder);
        Assert.True(model.HasSettingsFile);
        Assert.Equal(StandInDefaultModel.Settings, model.Settings);
        Assert.Equal((128, 128, 2, 3f), (model.Settings.Width, model.Settings.Height, model.Settings.PriorNumInferenceSteps, model.Settings.PriorGuidanceScale));
    }

    [Fact]
    public void The_environment_variable_wins_over_the_shipped_model()
    {
        StandInDefaultModel.Write(DefaultModel.ShippedPath(Tool));
        string mine = StandIn("mine", StandInDefaultModel.Settings with { Width = 256 });

        var model = DefaultModel.Find(mine, Tool);

        Assert.Equal(Path.GetFullPath(mine), model.Root);
        Assert.Equal(256, model.Settings.Width);
    }

    [Fact]
    public void A_missing_model_says_where_it_looked_and_what_to_do()
    {
        var e = Assert.Throws<ModelFolderException>(() => DefaultModel.Find(null, Tool));
        Assert.Contains(DefaultModel.ShippedPath(Tool), e.Message);
        Assert.Contains("WUERSTCHEN_MODEL", e.Message);
        Assert.Contains("--prior", e.Message);
    }

    [Fact]
    public void A_broken_environment_variable_is_an_error_even_with_a_shipped_model()
    {
        StandInDefaultModel.Write(DefaultModel.ShippedPath(Tool));
        string missing = _temp.File("nowhere");
        var e = Assert.Throws<ModelFolderException>(() => DefaultModel.Find(missing, Tool));
        Assert.Contains("$WUERSTCHEN_MODEL", e.Message);
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void Swapped_or_missing_pipeline_folders_are_named()
    {
        string root = StandIn("swapped");
        Directory.Move(Path.Combine(root, "prior"), Path.Combine(root, "tmp"));
        Directory.Move(Path.Combine(root, "decoder"), Path.Combine(root, "prior"));
        var swapped = Assert.Throws<ModelFolderException>(() => DefaultModel.Open(root));
        Assert.Contains("WuerstchenDecoderPipeline", swapped.Message);

        Directory.Move(Path.Combine(root, "prior"), Path.Combine(root, "decoder"));
        var missing = Assert.Throws<ModelFolderException>(() => DefaultModel.Open(root));
        Assert.Contains("prior/", missing.Message);
    }

    [Fact]
    public void Without_defaults_json_the_settings_are_the_built_in_ones()
    {
        string root = StandIn("plain");
        File.Delete(Path.Combine(root, DefaultModelSettings.FileName));
        var model = DefaultModel.Open(root);
        Assert.False(model.HasSettingsFile);
        Assert.Equal(new DefaultModelSettings(), model.Settings);
    }

    [Fact]
    public void Defaults_json_round_trips_and_rejects_unknown_keys_and_bad_values()
    {
        var settings = new DefaultModelSettings { Width = 384, PriorTimesteps = [1f, 0.6667f, 0.25f, 0f], DecoderGuidanceScale = 1.5f };
        string path = _temp.File("defaults.json");
        settings.Save(path);
        var back = DefaultModelSettings.Load(path);
        Assert.Equal(settings.PriorTimesteps, back.PriorTimesteps);
        Assert.Equal(settings with { PriorTimesteps = null }, back with { PriorTimesteps = null });

        File.WriteAllText(path, """{ "width": 256, "prior_steps": 20 }""");
        Assert.Contains("'prior_steps'", Assert.Throws<InvalidDataException>(() => DefaultModelSettings.Load(path)).Message);
        File.WriteAllText(path, """{ "height": 0 }""");
        Assert.Contains("'height'", Assert.Throws<InvalidDataException>(() => DefaultModelSettings.Load(path)).Message);
        File.WriteAllText(path, """{ "decoder_timesteps": [1, 0.5] }""");
        Assert.Contains("'decoder_timesteps'", Assert.Throws<InvalidDataException>(() => DefaultModelSettings.Load(path)).Message);
        File.WriteAllText(path, """{ "width": "256" }""");
        Assert.Contains("'width' must be an integer", Assert.Throws<InvalidDataException>(() => DefaultModelSettings.Load(path)).Message);
    }
}
