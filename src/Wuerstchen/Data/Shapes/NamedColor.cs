namespace Wuerstchen.Data.Shapes;

/// <summary>A colour with the word used for it in captions and prompts.</summary>
public sealed record NamedColor(string Name, Rgb Value)
{
    public CieLab Lab { get; } = CieLab.FromRgb(Value);

    public override string ToString() => Name;
}
